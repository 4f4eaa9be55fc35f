import {
  Badge, Button, Card, Group, NumberInput, Progress, SimpleGrid, Stack, Table, TagsInput, Text, TextInput, Title,
} from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { CampaignsQuery } from "../../gql/graphql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const CampaignsList = graphql(`
  query Campaigns($program: String!) {
    campaigns(program: $program) {
      code name startsAt endsAt budgetTotal budgetPerMember archived discountBudgetTotal discountBudgetPerMember
      targets { segments tiers clubs partners locations }
    }
  }
`);
const Report = graphql(`
  query CampaignReportScreen($program: String!, $code: String!) {
    campaignReport(program: $program, code: $code) { code pointsIssued membersReached transactions budgetTotal budgetLeft }
  }
`);
const Save = graphql(`mutation SaveCampaign($input: SaveCampaignInput!) { saveCampaign(input: $input) { code } }`);

type Campaign = CampaignsQuery["campaigns"][number];

function phase(c: Campaign, now = new Date().toISOString()): { label: string; color: string } {
  if (c.archived) return { label: "archived", color: "gray" };
  if (now < c.startsAt) return { label: "upcoming", color: "blue" };
  if (now >= c.endsAt) return { label: "ended", color: "gray" };
  return { label: "running", color: "teal" };
}

const day = (ts: string) => ts.slice(0, 10);
const targetsText = (c: Campaign) => Object.entries(c.targets)
  .filter(([k, v]) => k !== "__typename" && Array.isArray(v) && v.length)
  .map(([k, v]) => `${k}: ${(v as string[]).join(", ")}`).join(" · ") || "everyone";

// Campaigns: windows on a timeline, targets and budgets, and each campaign's report; create and edit.
export default function Campaigns() {
  const program = useProgram();
  const manage = can(useGrants(), "rules.manage");
  const search = useSearch({ from: "/staff/admin/campaigns" });
  const navigate = useNavigate({ from: "/admin/campaigns" });
  const [{ data, fetching, error }, refetch] = useQuery({ query: CampaignsList, variables: { program }, pause: !program });
  const [editing, setEditing] = useState<Campaign | "new" | null>(null);
  const list = data?.campaigns ?? [];
  const selected = list.find((c) => c.code === search.campaign);
  const times = list.flatMap((c) => [Date.parse(c.startsAt), Date.parse(c.endsAt)]);
  const [lo, hi] = [Math.min(...times), Math.max(...times)];
  const span = Math.max(hi - lo, 1);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Campaigns</Title>
        {manage && !editing && <Button onClick={() => setEditing("new")}>New campaign</Button>}
      </Group>
      {editing && (
        <CampaignForm program={program} initial={editing === "new" ? null : editing} onClose={() => setEditing(null)}
          onSaved={(code) => { setEditing(null); refetch({ requestPolicy: "network-only" }); navigate({ search: { campaign: code } }); }} />
      )}
      <ErrorNotice error={error} />
      {fetching && !data && <Loading />}
      {data && list.length === 0 && <Empty>No campaigns in this program yet.</Empty>}
      {list.length > 0 && (
        <Table highlightOnHover data-testid="campaigns-table">
          <Table.Thead><Table.Tr><Table.Th>Campaign</Table.Th><Table.Th>Window</Table.Th><Table.Th w="30%">Timeline</Table.Th><Table.Th>Targets</Table.Th><Table.Th ta="right">Budget</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.map((c) => {
              const p = phase(c);
              const left = ((Date.parse(c.startsAt) - lo) / span) * 100;
              const width = Math.max(((Date.parse(c.endsAt) - Date.parse(c.startsAt)) / span) * 100, 1);
              return (
                <Table.Tr key={c.code} data-code={c.code} style={{ cursor: "pointer" }} bg={c.code === search.campaign ? "var(--mantine-color-default-hover)" : undefined}
                  onClick={() => navigate({ search: { campaign: c.code } })}>
                  <Table.Td><Text fw={600}>{c.name}</Text><Text size="xs" c="dimmed">{c.code}</Text></Table.Td>
                  <Table.Td>{day(c.startsAt)} → {day(c.endsAt)} <Badge variant="light" color={p.color}>{p.label}</Badge></Table.Td>
                  <Table.Td>
                    <div style={{ position: "relative", height: 10, background: "var(--mantine-color-default-border)", borderRadius: 4 }}>
                      <div style={{ position: "absolute", left: `${left}%`, width: `${width}%`, height: 10, borderRadius: 4, background: `var(--mantine-color-${p.color}-6)` }} />
                    </div>
                  </Table.Td>
                  <Table.Td><Text size="sm">{targetsText(c)}</Text></Table.Td>
                  <Table.Td ta="right">{c.budgetTotal ?? "unlimited"}{c.budgetPerMember ? ` (${c.budgetPerMember}/member)` : ""}</Table.Td>
                  <Table.Td>{manage && <Button size="xs" variant="default" onClick={(e) => { e.stopPropagation(); setEditing(c); }}>Edit</Button>}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {selected && <CampaignReport program={program} campaign={selected} />}
    </Stack>
  );
}

function CampaignReport({ program, campaign }: { program: string; campaign: Campaign }) {
  const [{ data, fetching, error }] = useQuery({ query: Report, variables: { program, code: campaign.code }, requestPolicy: "cache-and-network" });
  const r = data?.campaignReport;
  const used = r?.budgetTotal ? Math.min(100, (100 * (r.budgetTotal - (r.budgetLeft ?? 0))) / r.budgetTotal) : null;
  return (
    <Card withBorder data-testid="campaign-report">
      <Text fw={700} mb="sm">Report: {campaign.name}</Text>
      <ErrorNotice error={error} />
      {fetching && !r && <Loading />}
      {r && (
        <>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Figure label="Points issued" value={r.pointsIssued} id="report-points" />
            <Figure label="Members reached" value={r.membersReached} id="report-members" />
            <Figure label="Transactions" value={r.transactions} id="report-transactions" />
            <Figure label="Budget left" value={r.budgetLeft ?? "unlimited"} id="report-budget-left" />
          </SimpleGrid>
          {used !== null && <Progress mt="md" value={used} aria-label="Budget used" />}
        </>
      )}
    </Card>
  );
}

function Figure({ label, value, id }: { label: string; value: number | string; id: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text fw={700} size="xl" data-testid={id}>{value}</Text>
    </div>
  );
}

function CampaignForm({ program, initial, onClose, onSaved }: {
  program: string; initial: Campaign | null; onClose: () => void; onSaved: (code: string) => void;
}) {
  const [code, setCode] = useState(initial?.code ?? "");
  const [name, setName] = useState(initial?.name ?? "");
  const [starts, setStarts] = useState(initial ? day(initial.startsAt) : new Date().toISOString().slice(0, 10));
  const [ends, setEnds] = useState(initial ? day(initial.endsAt) : "");
  const [budget, setBudget] = useState<number | string>(initial?.budgetTotal ?? "");
  const [perMember, setPerMember] = useState<number | string>(initial?.budgetPerMember ?? "");
  const [segments, setSegments] = useState<string[]>(initial?.targets.segments ?? []);
  const [tiers, setTiers] = useState<string[]>(initial?.targets.tiers ?? []);
  const [{ fetching, error }, save] = useMutation(Save);
  return (
    <Card withBorder component="form" data-testid="campaign-form" onSubmit={async (e: React.FormEvent) => {
      e.preventDefault();
      if (fetching) return;
      const t = initial?.targets;
      const r = await save({ input: {
        program, code, name, startsAt: `${starts}T00:00:00Z`, endsAt: ends ? `${ends}T00:00:00Z` : "",
        budgetTotal: budget === "" ? null : Number(budget), budgetPerMember: perMember === "" ? null : Number(perMember),
        discountBudgetTotal: initial?.discountBudgetTotal ?? null, discountBudgetPerMember: initial?.discountBudgetPerMember ?? null,
        targets: { segments, tiers, clubs: t?.clubs ?? [], partners: t?.partners ?? [], locations: t?.locations ?? [] },
      } });
      if (r.data) onSaved(code);
    }}>
      <Stack>
        <Text fw={700}>{initial ? `Edit ${initial.name}` : "New campaign"}</Text>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label="Campaign code" required disabled={!!initial} value={code} onChange={(e) => setCode(e.currentTarget.value.trim())} />
          <TextInput label="Campaign name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <div />
          <TextInput label="Starts" type="date" required value={starts} onChange={(e) => setStarts(e.currentTarget.value)} />
          <TextInput label="Ends (exclusive)" type="date" required value={ends} onChange={(e) => setEnds(e.currentTarget.value)} />
          <div />
          <NumberInput label="Points budget" description="Empty: unlimited" min={0} allowDecimal={false} value={budget} onChange={setBudget} />
          <NumberInput label="Points per member" description="Empty: unlimited" min={0} allowDecimal={false} value={perMember} onChange={setPerMember} />
          <div />
          <TagsInput label="Target segments" value={segments} onChange={setSegments} />
          <TagsInput label="Target tiers" value={tiers} onChange={setTiers} />
        </SimpleGrid>
        <Text size="sm" c="dimmed">The campaign's earn rules are a rule set with scope campaign and this code (Rules screen).</Text>
        <ErrorNotice error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={fetching}>Save campaign</Button>
        </Group>
      </Stack>
    </Card>
  );
}
