// The rule builder's fields and the JsonLogic round trip, from the engine's vocabulary (ruleVocabulary).
import { formatQuery, type Field, type RuleGroupType } from "react-querybuilder";
import { parseJsonLogic } from "react-querybuilder/parseJsonLogic";

export type ValueType = "STRING" | "NUMBER" | "BOOLEAN" | "LIST" | "ITEMS";

export interface VocabularyVariable {
  name: string;
  type: ValueType;
  label: string;
  description: string;
  values?: string[] | null;
}

export interface VocabularyOperator {
  name: string;
  label: string;
  types: ValueType[];
}

export interface Vocabulary {
  variables: VocabularyVariable[];
  itemFields: VocabularyVariable[];
  operators: VocabularyOperator[];
}

export const EMPTY_QUERY: RuleGroupType = { combinator: "and", rules: [] };

function field(v: VocabularyVariable, operators: VocabularyOperator[]): Field {
  const ops = operators.filter((o) => o.types.includes(v.type)).map((o) => ({ name: o.name, value: o.name, label: o.label }));
  const base: Field = { name: v.name, value: v.name, label: v.label, operators: ops };
  if (v.type === "NUMBER") return { ...base, inputType: "number", defaultValue: 0 };
  if (v.type === "BOOLEAN") return { ...base, valueEditorType: "checkbox", defaultValue: true };
  if (v.values?.length) {
    return { ...base, valueEditorType: "select", values: v.values.map((x) => ({ name: x, value: x, label: x })), defaultValue: v.values[0] };
  }
  return base;
}

export function fieldsOf(vocabulary: Vocabulary): Field[] {
  return vocabulary.variables.map((v) => {
    if (v.type === "ITEMS") {
      // A group over the basket lines: some / all / none of them match the inner conditions.
      return {
        name: v.name, value: v.name, label: v.label,
        matchModes: ["some", "all", "none"],
        subproperties: vocabulary.itemFields.map((i) => field(i, vocabulary.operators)),
      } as Field;
    }
    return field(v, vocabulary.operators);
  });
}

// What the engine stores: null for "always", else the JsonLogic of the query.
export function toJsonLogic(query: RuleGroupType, fields: Field[]): unknown {
  if (!query.rules.length) return null;
  const logic = formatQuery(query, { format: "jsonlogic", parseNumbers: true, fields });
  return logic === false ? null : logic;
}

export function fromJsonLogic(logic: unknown, fields: Field[]): RuleGroupType {
  if (logic === null || logic === undefined) return EMPTY_QUERY;
  // The parser comes from @react-querybuilder/core, whose types drift from the 8.14 component's.
  return parseJsonLogic(logic as never, { fields } as never) as unknown as RuleGroupType;
}

// True when the builder can edit this condition without losing anything: parsing and exporting it
// gives back the same JSON (an operator the builder does not know would be dropped silently).
export function survivesRoundTrip(logic: unknown, fields: Field[]): boolean {
  return canonical(toJsonLogic(fromJsonLogic(logic, fields), fields)) === canonical(logic ?? null);
}

export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

// Problems the builder can see before asking the API: empty values (a fresh rule exports "").
export function emptyValues(query: RuleGroupType): string[] {
  const found: string[] = [];
  const walk = (g: RuleGroupType) => g.rules.forEach((r) => {
    if ("rules" in r) return walk(r as RuleGroupType);
    const rule = r as { field: string; operator: string; value: unknown };
    if (rule.value === "" || rule.value === null || rule.value === undefined) found.push(rule.field);
  });
  walk(query);
  return found;
}
