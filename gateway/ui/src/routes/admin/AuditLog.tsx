import { Badge, Button, Code, Group, Select, Table, Text, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useClient, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";

const Audit = graphql(`
  query ProgramAuditLog($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String, $before: String) {
    auditLog(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to, first: 100, before: $before) {
      id occurredAt subject subjectKind roles ip operation targetIds summary outcome requestId
    }
  }
`);
const AuditCsv = graphql(`
  query ProgramAuditLogCsv($program: String!, $subject: String, $operation: String, $outcome: String, $from: String, $to: String) {
    auditLogCsv(program: $program, subject: $subject, operation: $operation, outcome: $outcome, from: $from, to: $to)
  }
`);

// Who changed what, newest first; the filters live in the URL, the export is the server's CSV.
export default function AuditLog() {
  const program = useProgram();
  const client = useClient();
  const search = useSearch({ from: "/staff/admin/audit" });
  const navigate = useNavigate({ from: "/admin/audit" });
  const [subject, setSubject] = useState(search.subject ?? "");
  const [operation, setOperation] = useState(search.operation ?? "");
  const filters = { program, subject: search.subject ?? null, operation: search.operation ?? null, outcome: search.outcome ?? null,
                    from: search.from ?? null, to: search.to ?? null };
  const [{ data, error, fetching }] = useQuery({ query: Audit, variables: { ...filters, before: search.before ?? null }, pause: !program });
  const rows = data?.auditLog ?? [];
  const set = (change: Partial<typeof search>) => navigate({ search: { ...search, before: undefined, ...change } });

  const exportCsv = async () => {
    const r = await client.query(AuditCsv, filters, { requestPolicy: "network-only" }).toPromise();
    if (!r.data) return;
    const url = URL.createObjectURL(new Blob([r.data.auditLogCsv], { type: "text/csv" }));
    Object.assign(document.createElement("a"), { href: url, download: `audit-${program}.csv` }).click();
    URL.revokeObjectURL(url);
  };

  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Audit log</Title>
        <Button variant="default" onClick={exportCsv} disabled={!rows.length} data-testid="audit-csv">Export CSV</Button>
      </Group>
      <Group mb="md" component="form" onSubmit={(e: React.FormEvent) => { e.preventDefault(); set({ subject: subject || undefined, operation: operation || undefined }); }}>
        <TextInput aria-label="Who" placeholder="Who (staff:…, api_key:…)" value={subject} onChange={(e) => setSubject(e.currentTarget.value.trim())} />
        <TextInput aria-label="Operation" placeholder="Operation (earn, inviteUser…)" value={operation} onChange={(e) => setOperation(e.currentTarget.value.trim())} />
        <Select aria-label="Outcome" placeholder="Any outcome" clearable w={150} data={["ok", "FORBIDDEN", "INVALID_INPUT", "UNAUTHENTICATED", "NOT_FOUND", "INSUFFICIENT_POINTS", "RATE_LIMITED"]} value={search.outcome ?? null}
          onChange={(v) => set({ outcome: v ?? undefined })} />
        <TextInput aria-label="From" type="date" value={search.from ?? ""} onChange={(e) => set({ from: e.currentTarget.value || undefined })} />
        <TextInput aria-label="To" type="date" value={search.to ?? ""} onChange={(e) => set({ to: e.currentTarget.value || undefined })} />
        <Button type="submit">Filter</Button>
      </Group>
      <ErrorNotice error={error} />
      {fetching && <Loading />}
      {data && rows.length === 0 && <Empty>Nothing recorded for these filters.</Empty>}
      {rows.length > 0 && (
        <Table striped data-testid="audit-table">
          <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Who</Table.Th><Table.Th>Operation</Table.Th><Table.Th>Targets</Table.Th><Table.Th>Outcome</Table.Th><Table.Th>Details</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {rows.map((a) => (
              <Table.Tr key={a.id}>
                <Table.Td>{a.occurredAt.slice(0, 19).replace("T", " ")}</Table.Td>
                <Table.Td><Text size="sm">{a.subject}</Text><Text size="xs" c="dimmed">{a.roles} {a.ip}</Text></Table.Td>
                <Table.Td>{a.operation}</Table.Td>
                <Table.Td><Text size="xs">{a.targetIds.join(", ")}</Text></Table.Td>
                <Table.Td><Badge variant="light" color={a.outcome === "ok" ? "teal" : "red"}>{a.outcome}</Badge></Table.Td>
                <Table.Td><Code block fz="xs" mah={80} style={{ overflow: "auto" }}>{JSON.stringify(a.summary)}</Code></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group mt="md">
        {search.before && <Button variant="default" onClick={() => set({})}>Newest</Button>}
        {rows.length === 100 && <Button variant="default" onClick={() => navigate({ search: { ...search, before: rows[rows.length - 1].id } })}>Older</Button>}
      </Group>
    </>
  );
}
