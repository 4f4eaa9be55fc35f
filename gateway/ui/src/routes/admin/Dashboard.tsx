import "@mantine/charts/styles.css";
import { BarChart, DonutChart } from "@mantine/charts";
import { Card, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const Activity = graphql(`
  query DashboardActivity($program: String!, $from: String!, $period: String!) {
    pointsActivity(program: $program, from: $from, period: $period) {
      rows { period pointsEarned pointsUsed pointsExpired transactions activeMembers }
      outstandingPoints membersWithPoints expiringIn30Days expiringIn60Days expiringIn90Days
    }
    pointsLiability(program: $program) { rows { expiryMonth points } totalPoints }
  }
`);
const TierMix = graphql(`
  query DashboardTierMix($program: String!, $slab: String!, $from: String!, $to: String!) {
    tierReport(program: $program, slabCode: $slab, from: $from, to: $to) { tiers { tierCode members } }
  }
`);
const Slabs = graphql(`query DashboardSlabs($program: String!) { tierSlabs(program: $program) { code name } }`);

type Range = "30d" | "12w" | "12m";
const RANGES: Record<Range, { period: string; from: () => Date }> = {
  "30d": { period: "day", from: () => daysAgo(29) },
  "12w": { period: "week", from: () => daysAgo(7 * 11 + new Date().getDay()) },
  "12m": { period: "month", from: () => { const d = new Date(); return new Date(d.getFullYear(), d.getMonth() - 11, 1); } },
};

function daysAgo(n: number): Date {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - n);
}

function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function Kpi({ label, value, testId }: { label: string; value: number | string; testId: string }) {
  return (
    <Card withBorder>
      <Text size="xs" c="dimmed" tt="uppercase">{label}</Text>
      <Text fw={700} size="xl" data-testid={testId}>{typeof value === "number" ? value.toLocaleString() : value}</Text>
    </Card>
  );
}

// The program at a glance: what members hold, what moves, what expires, and the tier mix.
export default function Dashboard() {
  const program = useProgram();
  const grants = useGrants();
  const [range, setRange] = useState<Range>("12m");
  const { period, from } = RANGES[range];
  const [{ data, error, fetching }] = useQuery({
    query: Activity, variables: { program, from: isoDay(from()), period }, pause: !program,
  });

  if (!program) return <Empty>Choose a program in the header.</Empty>;
  if (error && !data) return <ErrorNotice error={error} />;
  if (fetching && !data) return <Loading />;
  if (!data) return null;
  const a = data.pointsActivity;
  const totals = a.rows.reduce((t, r) => ({ earned: t.earned + r.pointsEarned, used: t.used + r.pointsUsed,
    expired: t.expired + r.pointsExpired }), { earned: 0, used: 0, expired: 0 });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Dashboard</Title>
        <SegmentedControl value={range} onChange={(v) => setRange(v as Range)} aria-label="Range"
          data={[{ label: "30 days", value: "30d" }, { label: "12 weeks", value: "12w" }, { label: "12 months", value: "12m" }]} />
      </Group>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Kpi label="Outstanding points" value={a.outstandingPoints} testId="kpi-outstanding" />
        <Kpi label="Members with points" value={a.membersWithPoints} testId="kpi-members" />
        <Kpi label="Earned in range" value={totals.earned} testId="kpi-earned" />
        <Kpi label="Redeemed in range" value={totals.used} testId="kpi-redeemed" />
        <Kpi label="Expired in range" value={totals.expired} testId="kpi-expired" />
        <Kpi label="Expiring in 30 days" value={a.expiringIn30Days} testId="kpi-expiring-30" />
        <Kpi label="Expiring in 60 days" value={a.expiringIn60Days} testId="kpi-expiring-60" />
        <Kpi label="Expiring in 90 days" value={a.expiringIn90Days} testId="kpi-expiring-90" />
      </SimpleGrid>
      <Card withBorder>
        <Title order={4} mb="sm">Earned, redeemed and expired</Title>
        {a.rows.length === 0 ? <Empty>No activity in this range.</Empty> : (
          <BarChart
            h={260} dataKey="period" data-testid="activity-chart"
            data={a.rows.map((r) => ({ period: r.period, Earned: r.pointsEarned, Redeemed: r.pointsUsed, Expired: r.pointsExpired }))}
            series={[{ name: "Earned", color: "teal.6" }, { name: "Redeemed", color: "blue.6" }, { name: "Expired", color: "gray.6" }]}
          />
        )}
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={4} mb="sm">Liability by expiry month</Title>
          {data.pointsLiability.rows.length === 0 ? <Empty>No outstanding points.</Empty> : (
            <Table data-testid="liability">
              <Table.Tbody>
                {data.pointsLiability.rows.map((r) => (
                  <Table.Tr key={r.expiryMonth}><Table.Td>{r.expiryMonth === "never" ? "Never expire" : r.expiryMonth}</Table.Td><Table.Td ta="right">{r.points.toLocaleString()}</Table.Td></Table.Tr>
                ))}
                <Table.Tr><Table.Td fw={700}>Total</Table.Td><Table.Td ta="right" fw={700}>{data.pointsLiability.totalPoints.toLocaleString()}</Table.Td></Table.Tr>
              </Table.Tbody>
            </Table>
          )}
        </Card>
        {can(grants, "tier.read") && <TierMixCard program={program} />}
      </SimpleGrid>
    </Stack>
  );
}

function TierMixCard({ program }: { program: string }) {
  const [{ data: slabs }] = useQuery({ query: Slabs, variables: { program } });
  const slab = slabs?.tierSlabs[0];
  const today = isoDay(new Date());
  const [{ data, error }] = useQuery({
    query: TierMix, variables: { program, slab: slab?.code ?? "", from: today, to: today }, pause: !slab,
  });
  const colors = ["teal.6", "grape.6", "yellow.6", "blue.6", "red.6", "gray.6"];
  return (
    <Card withBorder>
      <Title order={4} mb="sm">Tier mix{slab ? `: ${slab.name}` : ""}</Title>
      <ErrorNotice error={error} />
      {slabs && !slab && <Empty>No tiers in this program.</Empty>}
      {data && (
        <DonutChart withLabels withLabelsLine data-testid="tier-mix"
          data={data.tierReport.tiers.map((t, i) => ({ name: t.tierCode, value: t.members, color: colors[i % colors.length] }))} />
      )}
    </Card>
  );
}
