import { Alert, Badge, Button, Card, Grid, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import type { LegacyImportFieldsFragment } from "../../gql/graphql";
import { ErrorNotice } from "../../errors";
import { AnchorLink, ButtonLink } from "../../components/Links";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";

// Every run with its counts and last reconciliation in one request; a run's detail adds one page of
// its rejected rows (the cursor is kept in the URL).
const Runs = graphql(`
  query LegacyImports($program: String!) {
    legacyImports(program: $program) { ...LegacyImportFields }
  }
  fragment LegacyImportFields on LegacyImport {
    id source state error startedAt updatedAt finishedAt voidBefore
    rowsRead { file count } rowsLoaded { file count } rejectedRows rejectedByFile { file count }
    membersCreated membersMatched membersQuarantined historyMembersDone historyMembersTotal
    transactionsImported transactionsVoided lotsCreated lotsExpiredByPolicy membersRemediated
    remediationCredited remediationDebited membersTiered unknownTierCodes
    controlBatches controlBatchesOk controlBreak stepSeconds { step seconds }
    reconciliation {
      checkedAt membersImported balancesMatching matchingShare legacyMembers legacyBalances platformBalances
      rowsQuarantined transactionsImported pointsByKind { kind legacyPoints platformPoints }
      mismatches { legacyId loyaltyNumber legacyBalance platformBalance }
    }
  }
`);
const Run = graphql(`
  query LegacyImportRun($program: String!, $id: ID!, $after: String) {
    legacyImport(program: $program, id: $id, first: 100, after: $after) {
      run { ...LegacyImportFields }
      rejections { file line key problem }
      nextCursor
    }
  }
`);

type ImportRun = LegacyImportFieldsFragment;

const STATE_COLORS: Record<string, string> = { done: "teal", failed: "red", held: "orange" };

function StateBadge({ state }: { state: string }) {
  return <Badge variant="light" color={STATE_COLORS[state] ?? "blue"} data-testid="import-state">{state === "done" || state === "failed" || state === "held" ? state : `running: ${state}`}</Badge>;
}

function ReconcileBadge({ run }: { run: ImportRun }) {
  const r = run.reconciliation;
  if (!r) return <Text size="sm" c="dimmed">not reconciled</Text>;
  const all = r.balancesMatching === r.membersImported;
  return (
    <Badge variant="light" color={all ? "teal" : "red"} data-testid="reconcile-badge">
      {r.balancesMatching.toLocaleString()} of {r.membersImported.toLocaleString()} balances match
    </Badge>
  );
}

const when = (iso?: string | null) => (iso ? iso.slice(0, 19).replace("T", " ") : "—");
const n = (v: number) => v.toLocaleString();

// The legacy importer's runs (loyalty-import run): state, counts and reconciliation; ?run= opens one.
export default function Imports() {
  const search = useSearch({ from: "/staff/admin/imports" });
  return search.run ? <RunScreen id={search.run} after={search.after} /> : <RunList />;
}

function RunList() {
  const program = useProgram();
  const [r] = useQuery({ query: Runs, variables: { program }, pause: !program, requestPolicy: "cache-and-network" });
  const runs = r.data?.legacyImports ?? [];
  return (
    <Stack>
      <Title order={2}>Legacy imports</Title>
      <Text size="sm" c="dimmed">Runs of <code>loyalty-import run</code> into this program, newest first; reconcile with <code>loyalty-import reconcile</code>.</Text>
      <ErrorNotice error={r.error} />
      {!r.data && r.fetching && <Loading />}
      {r.data && runs.length === 0 && <Empty>No legacy import has run in this program.</Empty>}
      {runs.length > 0 && (
        <Table striped data-testid="imports-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Started</Table.Th><Table.Th>Source</Table.Th><Table.Th>State</Table.Th><Table.Th>Members</Table.Th>
              <Table.Th>Transactions</Table.Th><Table.Th>Rejected rows</Table.Th><Table.Th>Reconciliation</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {runs.map((x) => (
              <Table.Tr key={x.id} data-id={x.id}>
                <Table.Td><AnchorLink to="/admin/imports" search={{ run: x.id }}>{when(x.startedAt)}</AnchorLink></Table.Td>
                <Table.Td><Text size="sm" style={{ wordBreak: "break-all" }}>{x.source}</Text></Table.Td>
                <Table.Td><StateBadge state={x.state} /></Table.Td>
                <Table.Td>{n(x.membersCreated)} new, {n(x.membersMatched)} matched</Table.Td>
                <Table.Td>{n(x.transactionsImported)}</Table.Td>
                <Table.Td>{x.rejectedRows ? <Badge variant="light" color="orange">{n(x.rejectedRows)}</Badge> : 0}</Table.Td>
                <Table.Td><ReconcileBadge run={x} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function Figures({ title, rows, testId }: { title: string; rows: [string, React.ReactNode][]; testId: string }) {
  return (
    <Card withBorder h="100%" data-testid={testId}>
      <Text fw={600} mb="xs">{title}</Text>
      <Table>
        <Table.Tbody>
          {rows.map(([label, value]) => <Table.Tr key={label}><Table.Td>{label}</Table.Td><Table.Td ta="right">{value}</Table.Td></Table.Tr>)}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

function Reconciliation({ run }: { run: ImportRun }) {
  const r = run.reconciliation;
  if (!r) return <Card withBorder data-testid="reconciliation"><Text fw={600}>Reconciliation</Text><Text c="dimmed" size="sm">Not reconciled yet: run <code>loyalty-import reconcile</code>.</Text></Card>;
  return (
    <Card withBorder data-testid="reconciliation">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Reconciliation</Text>
        <Group gap="xs"><ReconcileBadge run={run} /><Text size="xs" c="dimmed">checked {when(r.checkedAt)}</Text></Group>
      </Group>
      <Table withColumnBorders>
        <Table.Thead><Table.Tr><Table.Th /><Table.Th ta="right">Legacy</Table.Th><Table.Th ta="right">Here</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          <Table.Tr><Table.Td>Members</Table.Td><Table.Td ta="right">{n(r.legacyMembers)}</Table.Td><Table.Td ta="right">{n(r.membersImported)}</Table.Td></Table.Tr>
          <Table.Tr data-testid="reconcile-balances"><Table.Td>Balances</Table.Td><Table.Td ta="right">{n(r.legacyBalances)}</Table.Td><Table.Td ta="right">{n(r.platformBalances)}</Table.Td></Table.Tr>
          {r.pointsByKind.map((k) => (
            <Table.Tr key={k.kind}>
              <Table.Td>Points: {k.kind}</Table.Td><Table.Td ta="right">{n(k.legacyPoints)}</Table.Td>
              <Table.Td ta="right" c={k.legacyPoints === k.platformPoints ? undefined : "red"}>{n(k.platformPoints)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {r.mismatches.length > 0 && (
        <>
          <Text fw={600} mt="sm">Balances that differ (first {r.mismatches.length})</Text>
          <Table data-testid="mismatches">
            <Table.Thead><Table.Tr><Table.Th>Legacy id</Table.Th><Table.Th>Member</Table.Th><Table.Th ta="right">Legacy</Table.Th><Table.Th ta="right">Here</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {r.mismatches.map((m) => (
                <Table.Tr key={m.legacyId}>
                  <Table.Td>{m.legacyId}</Table.Td>
                  <Table.Td>{m.loyaltyNumber ? <AnchorLink to="/admin/members/$number" params={{ number: m.loyaltyNumber }}>{m.loyaltyNumber}</AnchorLink> : "—"}</Table.Td>
                  <Table.Td ta="right">{n(m.legacyBalance)}</Table.Td><Table.Td ta="right">{n(m.platformBalance)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Card>
  );
}

function RunScreen({ id, after }: { id: string; after?: string }) {
  const program = useProgram();
  const navigate = useNavigate({ from: "/admin/imports" });
  const [r] = useQuery({ query: Run, variables: { program, id, after: after ?? null }, pause: !program, requestPolicy: "cache-and-network" });
  if (r.error && !r.data) return <ErrorNotice error={r.error} />;
  if (!r.data) return <Loading />;
  const { run, rejections, nextCursor } = r.data.legacyImport;
  const perFile = (list: { file: string; count: number }[], file: string) => list.find((x) => x.file === file)?.count ?? 0;
  const files = [...new Set([...run.rowsRead, ...run.rowsLoaded, ...run.rejectedByFile].map((x) => x.file))];
  return (
    <Stack data-testid="import-run">
      <Group justify="space-between">
        <Group><Title order={2}>Import of {when(run.startedAt)}</Title><StateBadge state={run.state} /></Group>
        <ButtonLink variant="default" to="/admin/imports" search={{}}>All imports</ButtonLink>
      </Group>
      <Text size="sm" c="dimmed" style={{ wordBreak: "break-all" }}>{run.source} · updated {when(run.updatedAt)}{run.finishedAt ? ` · finished ${when(run.finishedAt)}` : ""}{run.voidBefore ? ` · voids postings before ${when(run.voidBefore)}` : ""}</Text>
      {run.error && <Alert color={run.state === "held" ? "orange" : "red"} title={run.state === "held" ? "Held" : "Failed"} data-testid="import-error">{run.error}</Alert>}
      {/* the rows per file need the widest column: four columns of figures beside the file names */}
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
        <Card withBorder h="100%" data-testid="import-rows">
          <Text fw={600} mb="xs">Rows</Text>
          <Table>
            <Table.Thead><Table.Tr><Table.Th>File</Table.Th><Table.Th ta="right">Read</Table.Th><Table.Th ta="right">Loaded</Table.Th><Table.Th ta="right">Rejected</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {files.map((f) => (
                <Table.Tr key={f}>
                  <Table.Td>{f}</Table.Td><Table.Td ta="right">{n(perFile(run.rowsRead, f))}</Table.Td>
                  <Table.Td ta="right">{n(perFile(run.rowsLoaded, f))}</Table.Td><Table.Td ta="right">{n(perFile(run.rejectedByFile, f))}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {run.controlBatches > 0 && <Text size="sm" mt="xs">Control totals: {run.controlBatchesOk} of {run.controlBatches} batches match{run.controlBreak ? ` — ${run.controlBreak}` : ""}</Text>}
        </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
        <Figures title="Members and history" testId="import-counts" rows={[
          ["Members created", n(run.membersCreated)], ["Matched to existing members", n(run.membersMatched)],
          ["Members quarantined", n(run.membersQuarantined)],
          ["History members done", `${n(run.historyMembersDone)} of ${n(run.historyMembersTotal)}`],
          ["Transactions imported", n(run.transactionsImported)], ["Postings voided", n(run.transactionsVoided)],
          ["Lots created", n(run.lotsCreated)], ["Lots expired by policy", n(run.lotsExpiredByPolicy)],
          ["Members remediated", `${n(run.membersRemediated)} (+${n(run.remediationCredited)} / −${n(run.remediationDebited)} points)`],
          ["Members tiered", n(run.membersTiered)],
          ...(run.unknownTierCodes.length ? [["Unknown tier codes", run.unknownTierCodes.join(", ")] as [string, string]] : []),
        ]} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>
        <Figures title="Time per step" testId="import-steps" rows={run.stepSeconds.map((s): [string, string] => [s.step, `${s.seconds.toFixed(1)} s`])} />
        </Grid.Col>
      </Grid>
      <Reconciliation run={run} />
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Text fw={600}>Rejected rows ({n(run.rejectedRows)})</Text>
          <Group gap="xs">
            {after && <Button size="xs" variant="default" onClick={() => navigate({ search: { run: id } })}>First page</Button>}
            {nextCursor && <Button size="xs" variant="default" onClick={() => navigate({ search: { run: id, after: nextCursor } })}>Next page</Button>}
          </Group>
        </Group>
        {rejections.length === 0 ? <Empty>No rejected rows.</Empty> : (
          <Table striped data-testid="rejections">
            <Table.Thead><Table.Tr><Table.Th>File</Table.Th><Table.Th>Line</Table.Th><Table.Th>Key</Table.Th><Table.Th>Problem</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {rejections.map((x) => (
                <Table.Tr key={`${x.file}:${x.line}:${x.key}`}>
                  <Table.Td>{x.file}</Table.Td><Table.Td>{x.line || "—"}</Table.Td><Table.Td>{x.key}</Table.Td><Table.Td>{x.problem}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
    </Stack>
  );
}
