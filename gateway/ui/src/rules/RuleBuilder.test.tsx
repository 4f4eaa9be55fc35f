// The rule builder's round trip: every operator the builder offers for each of the engine's value
// types survives JsonLogic import and export unchanged. vocabulary.json is the engine's (a Python test keeps it current), and
// operator-cases.json is the same list the Python side checks the engine accepts.
// (Rendering the Mantine builder in jsdom was too slow on these machines: not component-tested yet.)
import { describe, expect, it } from "vitest";
import cases from "./operator-cases.json";
import vocabularyJson from "./vocabulary.json";
import { canonical, fieldsOf, fromJsonLogic, toJsonLogic, type Vocabulary } from "./jsonlogic";

const vocabulary = vocabularyJson as unknown as Vocabulary;
const fields = fieldsOf(vocabulary);
const typeOf = (name: string) => vocabulary.variables.find((v) => v.name === name)!.type;

describe("JsonLogic round trip", () => {
  it.each(cases.map((c) => [`${c.variable} ${c.operator}`, c] as const))("%s", (_name, c) => {
    const query = fromJsonLogic(c.jsonLogic, fields);
    expect(canonical(toJsonLogic(query, fields))).toBe(canonical(c.jsonLogic));
  });

  it("covers every operator the vocabulary offers on every type it offers it for", () => {
    const covered = new Set(cases.map((c) => `${c.operator}/${typeOf(c.variable)}`));
    const missing = vocabulary.operators.flatMap((o) => o.types.map((t) => `${o.name}/${t}`)).filter((k) => !covered.has(k));
    expect(missing).toEqual([]);
    for (const mode of ["some", "all", "none"]) expect(covered.has(`${mode}/ITEMS`)).toBe(true);
  });

  it("an empty query is the engine's 'always' (null) and back", () => {
    expect(toJsonLogic(fromJsonLogic(null, fields), fields)).toBeNull();
  });
});
