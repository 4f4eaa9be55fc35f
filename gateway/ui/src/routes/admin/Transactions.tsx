import { Badge, Button, Group, Select, Table, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useClient, useQuery } from "urql";
import { AnchorLink } from "../../components/Links";
import { csvCell } from "../../csv";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";

const ProgramTransactions = graphql(`
  query ProgramTransactions($program: String!, $kinds: [String!], $from: String, $to: String, $first: Int!, $after: String) {
    programTransactions(program: $program, kinds: $kinds, from: $from, to: $to, first: $first, after: $after) {
      items { id kind reference points occurredAt status amount currency loyaltyNumber orderReference locationCode reason }
      nextCursor
    }
  }
`);

const KINDS = ["EARN", "BURN", "VOID", "ADJUST", "GOODWILL", "TRANSFER", "RETRO_CLAIM", "HOLD", "CAPTURE", "RELEASE", "EXPIRE", "MERGE", "ACTIVATE"];
const CSV_COLUMNS = ["occurredAt", "loyaltyNumber", "kind", "reference", "points", "status", "amount", "currency", "orderReference", "locationCode", "reason"] as const;
const CSV_LIMIT = 10_000;


// Every member's transactions, newest first; the filters and the page live in the URL.
export default function Transactions() {
  const program = useProgram();
  const client = useClient();
  const search = useSearch({ from: "/staff/admin/transactions" });
  const navigate = useNavigate({ from: "/admin/transactions" });
  const [exporting, setExporting] = useState(false);
  const filters = { program, kinds: search.kind ? [search.kind] : null, from: search.from ?? null, to: search.to ?? null };
  const [{ data, fetching, error }] = useQuery({
    query: ProgramTransactions, variables: { ...filters, first: 50, after: search.after ?? null }, pause: !program,
  });
  const page = data?.programTransactions;
  const set = (change: Partial<typeof search>) => navigate({ search: { ...search, after: undefined, ...change } });

  const exportCsv = async () => {
    setExporting(true);
    const lines = [CSV_COLUMNS.join(",")];
    let after: string | null = null;
    do {
      const r = await client.query(ProgramTransactions, { ...filters, first: 500, after }, { requestPolicy: "network-only" }).toPromise();
      if (!r.data) break;
      for (const t of r.data.programTransactions.items) lines.push(CSV_COLUMNS.map((c) => csvCell(t[c])).join(","));
      after = r.data.programTransactions.nextCursor ?? null;
    } while (after && lines.length <= CSV_LIMIT);
    const url = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }));
    Object.assign(document.createElement("a"), { href: url, download: `transactions-${program}.csv` }).click();
    URL.revokeObjectURL(url);
    setExporting(false);
  };

  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>Transactions</Title>
        <Button variant="default" onClick={exportCsv} loading={exporting} disabled={!page?.items.length} data-testid="export-csv">Export CSV</Button>
      </Group>
      <Group mb="md">
        <Select aria-label="Kind" placeholder="Any kind" clearable w={170} data={KINDS} value={search.kind ?? null}
          onChange={(v) => set({ kind: v ?? undefined })} />
        <TextInput aria-label="From" type="date" value={search.from ?? ""} onChange={(e) => set({ from: e.currentTarget.value || undefined })} />
        <TextInput aria-label="To" type="date" value={search.to ?? ""} onChange={(e) => set({ to: e.currentTarget.value || undefined })} />
      </Group>
      <ErrorNotice error={error} />
      {fetching && <Loading />}
      {page && page.items.length === 0 && <Empty>No transaction matches.</Empty>}
      {page && page.items.length > 0 && (
        <Table striped highlightOnHover data-testid="transactions-table">
          <Table.Thead>
            <Table.Tr><Table.Th>When</Table.Th><Table.Th>Member</Table.Th><Table.Th>Kind</Table.Th><Table.Th>Reference</Table.Th><Table.Th>Purchase</Table.Th><Table.Th>Status</Table.Th><Table.Th ta="right">Points</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {page.items.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>{t.occurredAt.slice(0, 16).replace("T", " ")}</Table.Td>
                <Table.Td>{t.loyaltyNumber ? <AnchorLink to="/admin/members/$number" params={{ number: t.loyaltyNumber }}>{t.loyaltyNumber}</AnchorLink> : ""}</Table.Td>
                <Table.Td>{t.kind}</Table.Td>
                <Table.Td>{t.reference}</Table.Td>
                <Table.Td>{t.amount ? `${t.amount} ${t.currency ?? ""}` : ""}</Table.Td>
                <Table.Td><Badge variant="light" color={t.status === "posted" ? "teal" : "gray"}>{t.status}</Badge></Table.Td>
                <Table.Td ta="right">{t.points}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group mt="md">
        {search.after && <Button variant="default" onClick={() => set({})}>First page</Button>}
        {page?.nextCursor && <Button variant="default" onClick={() => navigate({ search: { ...search, after: page.nextCursor ?? undefined } })}>Next page</Button>}
      </Group>
    </>
  );
}
