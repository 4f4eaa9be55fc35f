import "react-querybuilder/dist/query-builder.css";
import { Alert, Textarea } from "@mantine/core";
import { QueryBuilderMantine } from "@react-querybuilder/mantine";
import { useMemo, useState } from "react";
import { type Field, QueryBuilder, type RuleGroupType } from "react-querybuilder";
import { canonical, fromJsonLogic, survivesRoundTrip, toJsonLogic } from "./jsonlogic";

// A rule's condition in the visual builder, stored as the engine's JsonLogic (null: always).
// A condition the builder cannot show without loss (hand-written JsonLogic) is edited as JSON.
export function ConditionBuilder({ fields, value, onChange }: {
  fields: Field[]; value: unknown; onChange: (logic: unknown) => void;
}) {
  const editable = useMemo(() => survivesRoundTrip(value, fields), []); // eslint-disable-line react-hooks/exhaustive-deps
  const [query, setQuery] = useState<RuleGroupType>(() => (editable ? fromJsonLogic(value, fields) : { combinator: "and", rules: [] }));
  const [text, setText] = useState(() => JSON.stringify(value ?? null, null, 2));
  const [textError, setTextError] = useState<string | null>(null);

  if (!editable) {
    return (
      <>
        <Alert color="yellow" mb="xs">This condition uses JsonLogic the visual builder cannot show; edit it as JSON.</Alert>
        <Textarea
          minRows={4} value={text} error={textError} aria-label="Condition JSON" ff="monospace"
          onChange={(e) => {
            const next = e.currentTarget.value;
            setText(next);
            try { onChange(JSON.parse(next)); setTextError(null); } catch { setTextError("not valid JSON"); }
          }}
        />
      </>
    );
  }
  return (
    <QueryBuilderMantine>
      <QueryBuilder
        fields={fields} query={query} showNotToggle controlClassnames={{ queryBuilder: "queryBuilder-branches" }}
        translations={{ addRule: { label: "+ Condition", title: "Add condition" }, addGroup: { label: "+ Group", title: "Add group" } }}
        onQueryChange={(q) => {
          setQuery(q);
          const logic = toJsonLogic(q, fields);
          if (canonical(logic) !== canonical(value ?? null)) onChange(logic);
        }}
      />
    </QueryBuilderMantine>
  );
}
