import "react-querybuilder/dist/query-builder.css";
import {
  Badge, Button, Card, Code, Group, SegmentedControl, Stack, Table, Text, TextInput, Textarea, Title,
} from "@mantine/core";
import { QueryBuilderMantine } from "@react-querybuilder/mantine";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useMemo, useState } from "react";
import { type Field, QueryBuilder, type RuleGroupType, formatQuery } from "react-querybuilder";
import { parseJsonLogic } from "react-querybuilder/parseJsonLogic";
import { useClient, useMutation, useQuery } from "urql";
import type { CombinedError } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const SegmentsQuery = graphql(`
  query Segments($program: String!) { segments(program: $program) { code name kind rule memberCount refreshedAt unknownLoyaltyNumbers } }
`);
const Preview = graphql(`
  query SegmentPreview($program: String!, $rule: JSON!) { segmentPreview(program: $program, rule: $rule, sampleSize: 10) { memberCount sampleLoyaltyNumbers } }
`);
const Save = graphql(`
  mutation SaveSegment($input: SaveSegmentInput!) { saveSegment(input: $input) { code memberCount unknownLoyaltyNumbers } }
`);

// The member facts a segment rule reads (docs/members.md, services/member segments), with the
// operators panzi-json-logic evaluates (no startsWith/endsWith). Only number fields export numbers:
// a zip such as "08001" stays a string.
const TEXT_OPS = ["=", "!=", "in", "notIn", "contains", "null", "notNull"];
const NUMBER_OPS = ["=", "!=", "<", "<=", ">", ">=", "between"];
const DATE_OPS = ["=", "<", "<=", ">", ">=", "between", "null", "notNull"];
const ops = (names: string[]) => names.map((n) => ({ name: n, value: n, label: n }));
const choice = (values: string[]) => ({ valueEditorType: "select" as const, values: values.map((v) => ({ name: v, value: v, label: v })), defaultValue: values[0] });
const FIELDS: Field[] = [
  { name: "balance", value: "balance", label: "Balance (points)", inputType: "number", operators: ops(NUMBER_OPS), defaultValue: 0 },
  { name: "lifetime_points", value: "lifetime_points", label: "Lifetime points", inputType: "number", operators: ops(NUMBER_OPS), defaultValue: 0 },
  { name: "total_spend", value: "total_spend", label: "Total spend", inputType: "number", operators: ops(NUMBER_OPS), defaultValue: 0 },
  { name: "transactions", value: "transactions", label: "Transactions", inputType: "number", operators: ops(NUMBER_OPS), defaultValue: 0 },
  { name: "days_since_last_activity", value: "days_since_last_activity", label: "Days since last activity", inputType: "number", operators: ops(NUMBER_OPS), defaultValue: 0 },
  { name: "days_since_enrolment", value: "days_since_enrolment", label: "Days since enrolment", inputType: "number", operators: ops(NUMBER_OPS), defaultValue: 0 },
  { name: "age", value: "age", label: "Age", inputType: "number", operators: ops(NUMBER_OPS), defaultValue: 18 },
  { name: "status", value: "status", label: "Status", operators: ops(["=", "!=", "in", "notIn"]), ...choice(["active", "suspended", "blacklisted", "opted_out"]) },
  { name: "channel", value: "channel", label: "Enrolment channel", operators: ops(["=", "!=", "in", "notIn"]), ...choice(["api", "pos", "web", "app", "kiosk", "call_center", "import", "partner", "ui"]) },
  { name: "zip", value: "zip", label: "Zip", operators: ops(TEXT_OPS) },
  { name: "nationality", value: "nationality", label: "Nationality", operators: ops(TEXT_OPS) },
  { name: "loyalty_number", value: "loyalty_number", label: "Loyalty number", operators: ops(TEXT_OPS) },
  { name: "birth_date", value: "birth_date", label: "Birth date", inputType: "date", operators: ops(DATE_OPS) },
  { name: "enrolled_at", value: "enrolled_at", label: "Enrolled at", inputType: "date", operators: ops(DATE_OPS) },
  { name: "last_activity_at", value: "last_activity_at", label: "Last activity at", inputType: "date", operators: ops(DATE_OPS) },
  { name: "marketing.email", value: "marketing.email", label: "Email consent", valueEditorType: "checkbox", operators: ops(["="]), defaultValue: true },
  { name: "marketing.sms", value: "marketing.sms", label: "SMS consent", valueEditorType: "checkbox", operators: ops(["="]), defaultValue: true },
  { name: "marketing.post", value: "marketing.post", label: "Post consent", valueEditorType: "checkbox", operators: ops(["="]), defaultValue: true },
];
const EMPTY: RuleGroupType = { combinator: "and", rules: [] };

function toLogic(q: RuleGroupType): unknown {
  if (!q.rules.length) return null;
  const logic = formatQuery(q, { format: "jsonlogic", parseNumbers: "strict-limited", fields: FIELDS });
  return logic === false ? null : logic;
}

// Problems seen before asking the API: a fresh condition exports an empty value.
function emptyValues(q: RuleGroupType): string[] {
  const found: string[] = [];
  const walk = (g: RuleGroupType) => g.rules.forEach((r) => {
    if ("rules" in r) return walk(r as RuleGroupType);
    const rule = r as { field: string; operator: string; value: unknown };
    if (!["null", "notNull"].includes(rule.operator) && (rule.value === "" || rule.value === undefined)) found.push(rule.field);
  });
  walk(q);
  return found;
}

// Segments: rule segments built visually (JsonLogic over member facts) with a live count before
// saving, static ones from a CSV of loyalty numbers; the list with member counts.
export default function Segments() {
  const program = useProgram();
  const manage = can(useGrants(), "segment.manage");
  const search = useSearch({ from: "/staff/admin/segments" });
  const navigate = useNavigate({ from: "/admin/segments" });
  const [{ data, fetching, error }, refetch] = useQuery({ query: SegmentsQuery, variables: { program }, pause: !program });
  const [editing, setEditing] = useState<{ code: string; name: string; rule: unknown } | null>(null);
  const q = search.q.toLowerCase();
  const shown = (data?.segments ?? []).filter((s) => !q || s.code.toLowerCase().includes(q) || s.name.toLowerCase().includes(q));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Segments</Title>
        {manage && !editing && <Button onClick={() => setEditing({ code: "", name: "", rule: null })}>New segment</Button>}
      </Group>
      {editing && (
        <SegmentForm program={program} initial={editing} onClose={() => setEditing(null)}
          onSaved={() => { setEditing(null); refetch({ requestPolicy: "network-only" }); }} />
      )}
      <TextInput aria-label="Search segments" placeholder="Search by code or name" w={300} value={search.q}
        onChange={(e) => navigate({ search: { q: e.currentTarget.value }, replace: true })} />
      <ErrorNotice error={error} />
      {fetching && !data && <Loading />}
      {data && shown.length === 0 && <Empty>{data.segments.length ? "No segment matches." : "No segments in this program yet."}</Empty>}
      {shown.length > 0 && (
        <Table striped data-testid="segments-table">
          <Table.Thead><Table.Tr><Table.Th>Segment</Table.Th><Table.Th>Kind</Table.Th><Table.Th>Rule</Table.Th><Table.Th ta="right">Members</Table.Th><Table.Th>Refreshed</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {shown.map((s) => (
              <Table.Tr key={s.code} data-code={s.code}>
                <Table.Td><Text fw={600}>{s.name}</Text><Text size="xs" c="dimmed">{s.code}</Text></Table.Td>
                <Table.Td><Badge variant="light">{s.kind}</Badge></Table.Td>
                <Table.Td>{s.rule ? <Code>{JSON.stringify(s.rule)}</Code> : ""}</Table.Td>
                <Table.Td ta="right" data-testid="member-count">{s.memberCount}</Table.Td>
                <Table.Td>{s.refreshedAt?.slice(0, 16).replace("T", " ") ?? ""}</Table.Td>
                <Table.Td>{manage && s.rule != null && <Button size="xs" variant="default" onClick={() => setEditing({ code: s.code, name: s.name, rule: s.rule })}>Edit</Button>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function SegmentForm({ program, initial, onClose, onSaved }: {
  program: string; initial: { code: string; name: string; rule: unknown }; onClose: () => void; onSaved: () => void;
}) {
  const client = useClient();
  const isNew = !initial.code;
  const [code, setCode] = useState(initial.code);
  const [name, setName] = useState(initial.name);
  const [kind, setKind] = useState("rule");
  const [csv, setCsv] = useState("");
  const start = useMemo<RuleGroupType>(() => (initial.rule
    ? parseJsonLogic(initial.rule as never, { fields: FIELDS } as never) as unknown as RuleGroupType : EMPTY), [initial.rule]);
  const [query, setQuery] = useState<RuleGroupType>(start);
  const [preview, setPreview] = useState<{ memberCount: number; sampleLoyaltyNumbers: string[] } | null>(null);
  const [previewError, setPreviewError] = useState<CombinedError | undefined>();
  const [previewing, setPreviewing] = useState(false);
  const [saveState, save] = useMutation(Save);
  const [saved, setSaved] = useState<string[] | null>(null);
  const logic = toLogic(query);
  const missing = emptyValues(query);
  const problem = kind === "rule" && !logic ? "Add at least one condition." : missing.length ? `Give a value for ${missing.join(", ")}.` : null;

  const runPreview = async () => {
    setPreviewing(true);
    const r = await client.query(Preview, { program, rule: logic }, { requestPolicy: "network-only" }).toPromise();
    setPreviewing(false);
    setPreviewError(r.error);
    setPreview(r.data?.segmentPreview ?? null);
  };

  return (
    <Card withBorder component="form" data-testid="segment-form" onSubmit={async (e: React.FormEvent) => {
      e.preventDefault();
      if (saveState.fetching || (kind === "rule" && problem)) return;
      const input = kind === "rule" ? { program, code, name: name || null, rule: logic } : { program, code, name: name || null, loyaltyNumbersCsv: csv };
      const r = await save({ input });
      if (r.data && r.data.saveSegment.unknownLoyaltyNumbers.length) { setSaved(r.data.saveSegment.unknownLoyaltyNumbers); return; }
      if (r.data) onSaved();
    }}>
      <Stack>
        <Group align="end">
          <TextInput label="Segment code" required disabled={!isNew} value={code} onChange={(e) => setCode(e.currentTarget.value.trim())} />
          <TextInput label="Segment name" value={name} onChange={(e) => setName(e.currentTarget.value)} w={260} />
          {isNew && <SegmentedControl aria-label="Segment kind" value={kind} onChange={setKind}
            data={[{ value: "rule", label: "Rule" }, { value: "static", label: "Static (CSV)" }]} />}
        </Group>
        {kind === "rule" ? (
          <>
            <QueryBuilderMantine>
              <QueryBuilder fields={FIELDS} query={query} showNotToggle
                controlClassnames={{ queryBuilder: "queryBuilder-branches" }}
                translations={{ addRule: { label: "+ Condition", title: "Add condition" }, addGroup: { label: "+ Group", title: "Add group" } }}
                onQueryChange={(q) => { setQuery(q); setPreview(null); }} />
            </QueryBuilderMantine>
            <Text size="sm" c="dimmed">{logic ? formatQuery(query, { format: "natural_language", fields: FIELDS }) : "No conditions yet."}</Text>
            {logic != null && <Code block data-testid="segment-logic">{JSON.stringify(logic)}</Code>}
            {problem && <Text size="sm" c="orange" data-testid="segment-problem">{problem}</Text>}
            <Group>
              <Button variant="default" onClick={runPreview} loading={previewing} disabled={!!problem}>Preview</Button>
              {preview && (
                <Text data-testid="preview-count">
                  <strong>{preview.memberCount}</strong> member{preview.memberCount === 1 ? "" : "s"} now
                  {preview.sampleLoyaltyNumbers.length ? <Text span c="dimmed" size="sm"> (e.g. {preview.sampleLoyaltyNumbers.join(", ")})</Text> : null}
                </Text>
              )}
            </Group>
            <ErrorNotice error={previewError} />
          </>
        ) : (
          <Textarea label="Loyalty numbers (CSV, first column)" minRows={4} value={csv} onChange={(e) => setCsv(e.currentTarget.value)} required />
        )}
        {saved && <Text c="orange" data-testid="unknown-numbers">Saved; not members: {saved.join(", ")}</Text>}
        <ErrorNotice error={saveState.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={saved ? onSaved : onClose}>{saved ? "Close" : "Cancel"}</Button>
          <Button type="submit" loading={saveState.fetching} disabled={kind === "rule" && !!problem}>Save segment</Button>
        </Group>
      </Stack>
    </Card>
  );
}
