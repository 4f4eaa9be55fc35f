import { Badge, Button, Group, Select, Stack, Table, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { type CombinedError, useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { authorizedFetch } from "../../client";
import { downloadCsv, saveFile } from "../../csv";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { ReportView } from "../../components/ReportView";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const Liability = graphql(`
  query ReportLiability($program: String!) { pointsLiability(program: $program) { rows { expiryMonth points } totalPoints } }
`);
const Breakage = graphql(`
  query ReportBreakage($program: String!, $from: String, $to: String, $period: String!) {
    pointsBreakage(program: $program, from: $from, to: $to, period: $period) { rows { period pointsIssued pointsExpired } }
  }
`);
const Rewards = graphql(`
  query ReportRewards($program: String!, $from: String!, $to: String!, $period: String!) {
    rewardsReport(program: $program, from: $from, to: $to, period: $period) {
      rows { period rewardCode redemptions settled pointsBurned } totalRedemptions totalPointsBurned openHolds openHoldPoints
    }
  }
`);
const TierMovement = graphql(`
  query ReportTierMovement($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {
    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {
      tiers { tierCode members spend } periods { period upgrades downgrades }
    }
    tierSlabs(program: $program) { code name }
  }
`);
const Slabs = graphql(`query ReportSlabs($program: String!) { tierSlabs(program: $program) { code name } }`);
const Billing = graphql(`
  query ReportPartnerBilling($program: String!, $month: String!) {
    partnerStatements(program: $program, period: $month) {
      period status
      statements { partnerCode partnerName status currency invoiceNumber totals { issuedPoints issuedValue redeemedPoints redeemedValue correctionValue netValue lineCount } }
    }
    partnerInvoices(program: $program, period: $month) { number partnerCode period amountDue currency issuedAt csvUrl pdfUrl }
  }
`);
const Close = graphql(`
  mutation ClosePartnerPeriod($input: ClosePeriodInput!) { closeBillingPeriod(input: $input) { period closedNow invoices { number } } }
`);
const Campaigns = graphql(`query ReportCampaigns($program: String!) { campaigns(program: $program) { code name } }`);
const CampaignReport = graphql(`
  query ReportCampaign($program: String!, $code: String!) {
    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }
  }
`);

const iso = (d: Date) => d.toISOString().slice(0, 10);
const yearAgo = () => { const d = new Date(); d.setUTCFullYear(d.getUTCFullYear() - 1); return iso(d); };
const thisMonth = () => new Date().toISOString().slice(0, 7);

type Search = ReturnType<typeof useSearch<any, "/staff/admin/reports">>;

// Every report with a chart, its table and its CSV; the report and its range live in the URL.
export default function Reports() {
  const program = useProgram();
  const grants = useGrants();
  const search = useSearch({ from: "/staff/admin/reports" });
  const navigate = useNavigate({ from: "/admin/reports" });
  const tabs = [
    { value: "liability", label: "Liability", permission: "points.report" },
    { value: "breakage", label: "Breakage", permission: "points.report" },
    { value: "rewards", label: "Rewards", permission: "rewards.report" },
    { value: "tiers", label: "Tier movement", permission: "tier.read" },
    { value: "partners", label: "Partner billing", permission: "billing.read" },
    { value: "campaigns", label: "Campaigns", permission: "rules.read" },
  ].filter((t) => can(grants, t.permission));
  const report = search.report ?? tabs[0]?.value;
  const set = (change: Partial<Search>) => navigate({ search: { ...search, ...change } });
  const from = search.from ?? yearAgo();
  const to = search.to ?? iso(new Date());
  const period = search.period ?? "month";
  const ranged = report === "breakage" || report === "rewards" || report === "tiers";

  return (
    <Stack>
      <Title order={2}>Reports</Title>
      <Tabs value={report} onChange={(r) => set({ report: r ?? undefined })} keepMounted={false}>
        <Tabs.List>{tabs.map((t) => <Tabs.Tab key={t.value} value={t.value}>{t.label}</Tabs.Tab>)}</Tabs.List>
      </Tabs>
      {ranged && (
        <Group>
          <TextInput type="date" label="From" value={from} onChange={(e) => set({ from: e.currentTarget.value || undefined })} />
          <TextInput type="date" label="To" value={to} onChange={(e) => set({ to: e.currentTarget.value || undefined })} />
          <Select label="Period" w={120} data={["day", "week", "month"]} value={period} allowDeselect={false}
            onChange={(p) => set({ period: p ?? undefined })} />
        </Group>
      )}
      {report === "liability" && <LiabilityReport program={program} />}
      {report === "breakage" && <BreakageReport program={program} from={from} to={to} period={period} />}
      {report === "rewards" && <RewardsReport program={program} from={from} to={to} period={period} />}
      {report === "tiers" && <TierReport program={program} from={from} to={to} period={period} slab={search.slab} onSlab={(slab) => set({ slab })} />}
      {report === "partners" && (
        <PartnerBilling program={program} month={search.month ?? thisMonth()} onMonth={(month) => set({ month })}
          canClose={can(grants, "billing.close")} />
      )}
      {report === "campaigns" && <CampaignReports program={program} code={search.campaign} onCode={(campaign) => set({ campaign })} />}
    </Stack>
  );
}

function state(r: { error?: CombinedError; fetching: boolean; data?: unknown }) {
  if (r.error && !r.data) return <ErrorNotice error={r.error} />;
  if (!r.data) return <Loading />;
  return null;
}

function LiabilityReport({ program }: { program: string }) {
  const [r] = useQuery({ query: Liability, variables: { program } });
  if (!r.data) return state(r);
  const rows = r.data.pointsLiability.rows.map((x) => ({ expiryMonth: x.expiryMonth, points: x.points }));
  return (
    <ReportView name="liability" title="Outstanding points by expiry month" chartKey="expiryMonth" rows={rows}
      columns={[{ key: "expiryMonth", label: "Expires" }, { key: "points", label: "Points", numeric: true }]}
      series={[{ name: "points", label: "Points", color: "indigo.6" }]} empty="No outstanding points."
      total={<Text fw={700} mt="sm" data-testid="report-total">Total {r.data.pointsLiability.totalPoints}</Text>} />
  );
}

function BreakageReport({ program, from, to, period }: { program: string; from: string; to: string; period: string }) {
  const [r] = useQuery({ query: Breakage, variables: { program, from, to, period } });
  if (!r.data) return state(r);
  const rows = r.data.pointsBreakage.rows.map((x) => ({
    period: x.period, pointsIssued: x.pointsIssued, pointsExpired: x.pointsExpired,
    breakageRate: x.pointsIssued ? `${((x.pointsExpired / x.pointsIssued) * 100).toFixed(1)}%` : "",
  }));
  return (
    <ReportView name="breakage" title="Breakage: points issued and expired unredeemed" chartKey="period" rows={rows}
      columns={[{ key: "period", label: "Period" }, { key: "pointsIssued", label: "Issued", numeric: true },
        { key: "pointsExpired", label: "Expired", numeric: true }, { key: "breakageRate", label: "Breakage", numeric: true }]}
      series={[{ name: "pointsIssued", label: "Issued", color: "teal.6" }, { name: "pointsExpired", label: "Expired", color: "gray.6" }]} />
  );
}

function RewardsReport({ program, from, to, period }: { program: string; from: string; to: string; period: string }) {
  const [r] = useQuery({ query: Rewards, variables: { program, from: `${from}T00:00:00Z`, to: `${to}T23:59:59Z`, period } });
  if (!r.data) return state(r);
  const rep = r.data.rewardsReport;
  const rows = rep.rows.map((x) => ({ period: x.period, rewardCode: x.rewardCode, redemptions: x.redemptions, settled: x.settled, pointsBurned: x.pointsBurned }));
  return (
    <ReportView name="rewards" title="Redemptions per reward" chartKey="period" rows={rows}
      columns={[{ key: "period", label: "Period" }, { key: "rewardCode", label: "Reward" }, { key: "redemptions", label: "Redemptions", numeric: true },
        { key: "settled", label: "Settled", numeric: true }, { key: "pointsBurned", label: "Points burned", numeric: true }]}
      series={[{ name: "redemptions", label: "Redemptions", color: "blue.6" }, { name: "settled", label: "Settled", color: "teal.6" }]}
      total={<Text mt="sm" data-testid="report-total">{rep.totalRedemptions} redemptions, {rep.totalPointsBurned} points burned; {rep.openHolds} open holds ({rep.openHoldPoints} points)</Text>} />
  );
}

function TierReport({ program, from, to, period, slab, onSlab }: { program: string; from: string; to: string; period: string; slab?: string; onSlab: (s: string) => void }) {
  const [slabs] = useQuery({ query: Slabs, variables: { program } });
  const code = slab ?? slabs.data?.tierSlabs[0]?.code;
  const [r] = useQuery({ query: TierMovement, variables: { program, slab: code ?? "", from, to, period }, pause: !code });
  if (slabs.data && !code) return <Empty>No tier slabs in this program.</Empty>;
  if (!r.data) return state(r) ?? state(slabs);
  const rows = r.data.tierReport.periods.map((x) => ({ period: x.period, upgrades: x.upgrades, downgrades: x.downgrades }));
  return (
    <Stack>
      <Select label="Slab" w={200} value={code} allowDeselect={false} data={r.data.tierSlabs.map((s) => ({ value: s.code, label: s.name }))}
        onChange={(s) => s && onSlab(s)} />
      <ReportView name="tier-movement" title="Upgrades and downgrades" chartKey="period" rows={rows}
        columns={[{ key: "period", label: "Period" }, { key: "upgrades", label: "Upgrades", numeric: true }, { key: "downgrades", label: "Downgrades", numeric: true }]}
        series={[{ name: "upgrades", label: "Upgrades", color: "teal.6" }, { name: "downgrades", label: "Downgrades", color: "red.6" }]}
        empty="No tier changes in this range." />
      <Table data-testid="tier-members">
        <Table.Thead><Table.Tr><Table.Th>Tier</Table.Th><Table.Th ta="right">Members</Table.Th><Table.Th ta="right">Spend</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>{r.data.tierReport.tiers.map((t) => <Table.Tr key={t.tierCode}><Table.Td>{t.tierCode}</Table.Td><Table.Td ta="right">{t.members}</Table.Td><Table.Td ta="right">{t.spend}</Table.Td></Table.Tr>)}</Table.Tbody>
      </Table>
    </Stack>
  );
}

async function downloadInvoice(url: string, name: string): Promise<string | null> {
  const res = await authorizedFetch(url);
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    return String(body?.errors?.[0]?.extensions?.code ?? body?.code ?? res.status);
  }
  saveFile(name, await res.blob(), res.headers.get("content-type") ?? "application/octet-stream");
  return null;
}

function PartnerBilling({ program, month, onMonth, canClose }: { program: string; month: string; onMonth: (m: string) => void; canClose: boolean }) {
  const [r, refetch] = useQuery({ query: Billing, variables: { program, month } });
  const [closeState, close] = useMutation(Close);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const body = !r.data ? state(r) : (() => {
    const list = r.data.partnerStatements;
    const rows = list.statements.map((s) => ({
      partnerCode: s.partnerCode, partnerName: s.partnerName, issuedPoints: s.totals.issuedPoints, issuedValue: s.totals.issuedValue,
      redeemedPoints: s.totals.redeemedPoints, redeemedValue: s.totals.redeemedValue, correctionValue: s.totals.correctionValue,
      netValue: s.totals.netValue, currency: s.currency, lines: s.totals.lineCount, invoiceNumber: s.invoiceNumber ?? "",
    }));
    return (
      <Stack>
        <Group>
          <Badge data-testid="period-status" color={list.status.toLowerCase() === "closed" ? "gray" : "teal"}>{list.status.toLowerCase()}</Badge>
          {canClose && list.status.toLowerCase() !== "closed" && (
            <Button color="red" variant="light" loading={closeState.fetching} data-testid="close-period"
              onClick={async () => {
                if (!window.confirm(`Close ${month}? Its statements become invoices and cannot change.`)) return;
                const x = await close({ input: { program, period: month } });
                if (!x.error) refetch({ requestPolicy: "network-only" });
              }}>
              Close period and issue invoices
            </Button>
          )}
        </Group>
        <ErrorNotice error={closeState.error} />
        <ReportView name={`partner-statements-${month}`} title={`Partner statements, ${month}`} chartKey="partnerCode" rows={rows}
          columns={[{ key: "partnerCode", label: "Partner" }, { key: "partnerName", label: "Name" }, { key: "issuedPoints", label: "Issued pts", numeric: true },
            { key: "issuedValue", label: "Issued value", numeric: true }, { key: "redeemedPoints", label: "Redeemed pts", numeric: true },
            { key: "redeemedValue", label: "Redeemed value", numeric: true }, { key: "correctionValue", label: "Corrections", numeric: true },
            { key: "netValue", label: "Net", numeric: true }, { key: "currency", label: "" }, { key: "invoiceNumber", label: "Invoice" }]}
          series={[{ name: "issuedPoints", label: "Issued", color: "teal.6" }, { name: "redeemedPoints", label: "Redeemed", color: "blue.6" }]}
          empty="No partner activity this month." />
        <Title order={4}>Invoices</Title>
        {downloadError && <Text c="red" data-testid="error" data-code={downloadError}>Download refused: {downloadError}</Text>}
        {r.data.partnerInvoices.length === 0 ? <Empty>No invoices for {month}.</Empty> : (
          <Table data-testid="invoices">
            <Table.Thead><Table.Tr><Table.Th>Number</Table.Th><Table.Th>Partner</Table.Th><Table.Th ta="right">Amount due</Table.Th><Table.Th>Issued</Table.Th><Table.Th /></Table.Tr></Table.Thead>
            <Table.Tbody>
              {r.data.partnerInvoices.map((i) => (
                <Table.Tr key={i.number}>
                  <Table.Td>{i.number}</Table.Td><Table.Td>{i.partnerCode}</Table.Td><Table.Td ta="right">{i.amountDue} {i.currency}</Table.Td><Table.Td>{i.issuedAt.slice(0, 10)}</Table.Td>
                  <Table.Td>
                    <Group gap="xs">
                      <Button size="xs" variant="default" onClick={async () => setDownloadError(await downloadInvoice(i.csvUrl, `${i.number}.csv`))}>CSV</Button>
                      <Button size="xs" variant="default" onClick={async () => setDownloadError(await downloadInvoice(i.pdfUrl, `${i.number}.pdf`))}>PDF</Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Button variant="subtle" w="fit-content" onClick={() => downloadCsv(`invoices-${month}.csv`, ["number", "partnerCode", "period", "amountDue", "currency", "issuedAt"], r.data!.partnerInvoices)}>
          Invoice list as CSV
        </Button>
      </Stack>
    );
  })();
  return (
    <Stack>
      <TextInput type="month" label="Month" w={200} value={month} onChange={(e) => e.currentTarget.value && onMonth(e.currentTarget.value)} />
      {body}
    </Stack>
  );
}

function CampaignReports({ program, code, onCode }: { program: string; code?: string; onCode: (c: string) => void }) {
  const [list] = useQuery({ query: Campaigns, variables: { program } });
  const chosen = code ?? list.data?.campaigns[0]?.code;
  const [r] = useQuery({ query: CampaignReport, variables: { program, code: chosen ?? "" }, pause: !chosen });
  if (list.data && !chosen) return <Empty>No campaigns yet.</Empty>;
  if (!r.data) return state(r) ?? state(list);
  const c = r.data.campaignReport;
  const rows = [{ code: c.code, pointsIssued: c.pointsIssued, membersReached: c.membersReached, transactions: c.transactions, budgetTotal: c.budgetTotal ?? "", budgetLeft: c.budgetLeft ?? "" }];
  return (
    <Stack>
      <Select label="Campaign" w={260} value={chosen} allowDeselect={false} data={(list.data?.campaigns ?? []).map((x) => ({ value: x.code, label: x.name }))}
        onChange={(x) => x && onCode(x)} />
      <ReportView name={`campaign-${c.code}`} title={`Campaign ${c.code}`} chartKey="code" rows={rows}
        columns={[{ key: "code", label: "Campaign" }, { key: "pointsIssued", label: "Points issued", numeric: true }, { key: "membersReached", label: "Members", numeric: true },
          { key: "transactions", label: "Transactions", numeric: true }, { key: "budgetTotal", label: "Budget", numeric: true }, { key: "budgetLeft", label: "Budget left", numeric: true }]}
        series={[{ name: "pointsIssued", label: "Points issued", color: "teal.6" }, { name: "budgetLeft", label: "Budget left", color: "gray.6" }]} />
    </Stack>
  );
}
