import {
  ActionIcon, Button, Card, Group, Modal, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Table, Tabs,
  Text, TextInput, Title,
} from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { type CombinedError, useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { DefineTierSlabInput, TierSlabsQuery } from "../../gql/graphql";
import { ErrorNotice } from "../../errors";
import { FreezeWindows } from "../../components/FreezeWindows";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const Slabs = graphql(`
  query TierSlabs($program: String!) {
    tierSlabs(program: $program) {
      code name metric windowLength windowUnit downgrade graceDays closeToUpgradePercent
      tiers { level code name benefits earnMultiplier threshold retentionThreshold validityMonths }
    }
  }
`);
const Report = graphql(`
  query TierReportScreen($program: String!, $slab: String!, $from: String!, $to: String!, $period: String!) {
    tierReport(program: $program, slabCode: $slab, from: $from, to: $to, period: $period) {
      slabCode tiers { tierCode members spend } periods { period upgrades downgrades }
    }
  }
`);
const Define = graphql(`mutation DefineTierSlab($input: DefineTierSlabInput!) { defineTierSlab(input: $input) { code } }`);

type Slab = TierSlabsQuery["tierSlabs"][number];
const today = () => new Date().toISOString().slice(0, 10);
const yearAgo = () => { const d = new Date(); d.setUTCFullYear(d.getUTCFullYear() - 1); return d.toISOString().slice(0, 10); };

function inputOf(program: string, s: Slab): DefineTierSlabInput {
  return {
    program, code: s.code, name: s.name, metric: s.metric, windowLength: s.windowLength, windowUnit: s.windowUnit,
    downgrade: s.downgrade, graceDays: s.graceDays, closeToUpgradePercent: s.closeToUpgradePercent,
    tiers: s.tiers.map((t) => ({
      code: t.code, name: t.name, benefits: t.benefits, earnMultiplier: t.earnMultiplier, threshold: t.threshold,
      retentionThreshold: t.level === 0 ? null : t.retentionThreshold, validityMonths: t.validityMonths ?? 0,
    })),
  };
}

// Slabs and their tier ladders, each slab's report (members per tier, movements per period), define and edit.
export default function Tiers() {
  const program = useProgram();
  const manage = can(useGrants(), "tier.manage");
  const search = useSearch({ from: "/staff/admin/tiers" });
  const navigate = useNavigate({ from: "/admin/tiers" });
  const [{ data, fetching, error }, refetch] = useQuery({ query: Slabs, variables: { program }, pause: !program });
  const [editing, setEditing] = useState<{ input: DefineTierSlabInput; isNew: boolean } | null>(null);
  const slabs = data?.tierSlabs ?? [];
  const slab = slabs.find((s) => s.code === search.slab) ?? slabs[0];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Tiers</Title>
        {manage && (
          <Button onClick={() => setEditing({ isNew: true, input: {
            program, code: "", name: "", metric: "points", windowLength: 12, windowUnit: "month", downgrade: "one_level",
            graceDays: 0, closeToUpgradePercent: 90,
            tiers: [{ code: "base", name: "Base", threshold: "0", earnMultiplier: "1", validityMonths: 0 },
              { code: "", name: "", threshold: "", earnMultiplier: "1", validityMonths: 12 }],
          } })}>New slab</Button>
        )}
      </Group>
      <ErrorNotice error={error} />
      {fetching && !data && <Loading />}
      {data && slabs.length === 0 && <Empty>No tier slabs in this program yet.</Empty>}
      {slab && (
        <>
          {slabs.length > 1 && (
            <SegmentedControl aria-label="Slab" value={slab.code} data={slabs.map((s) => ({ value: s.code, label: s.name }))}
              onChange={(code) => navigate({ search: { ...search, slab: code } })} />
          )}
          <Card withBorder data-testid="slab" data-code={slab.code}>
            <Group justify="space-between" mb="sm">
              <div>
                <Text fw={700}>{slab.name} <Text span c="dimmed" size="sm">{slab.code}</Text></Text>
                <Text size="sm" c="dimmed">
                  {slab.metric} over {slab.windowLength} {slab.windowUnit}(s) · downgrade {slab.downgrade.replace("_", " ")}
                  {slab.graceDays ? ` after ${slab.graceDays} days' grace` : ""} · close to upgrade at {slab.closeToUpgradePercent}%
                </Text>
              </div>
              {manage && <Button variant="default" onClick={() => setEditing({ isNew: false, input: inputOf(program, slab) })}>Edit slab</Button>}
            </Group>
            <Table data-testid="ladder">
              <Table.Thead><Table.Tr><Table.Th>Level</Table.Th><Table.Th>Tier</Table.Th><Table.Th ta="right">Threshold</Table.Th><Table.Th ta="right">Keep at</Table.Th><Table.Th ta="right">Earn ×</Table.Th><Table.Th>Valid</Table.Th><Table.Th>Benefits</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {slab.tiers.map((t) => (
                  <Table.Tr key={t.code} data-code={t.code}>
                    <Table.Td>{t.level}</Table.Td>
                    <Table.Td><Text fw={600}>{t.name}</Text><Text size="xs" c="dimmed">{t.code}</Text></Table.Td>
                    <Table.Td ta="right">{t.threshold}</Table.Td>
                    <Table.Td ta="right">{t.level ? t.retentionThreshold : ""}</Table.Td>
                    <Table.Td ta="right">{t.earnMultiplier}</Table.Td>
                    <Table.Td>{t.validityMonths ? `${t.validityMonths} months` : ""}</Table.Td>
                    <Table.Td>{t.benefits}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
          <SlabReport program={program} slab={slab} />
        </>
      )}
      {editing && (
        <SlabForm initial={editing.input} isNew={editing.isNew} onClose={() => setEditing(null)}
          onSaved={(code) => { setEditing(null); refetch({ requestPolicy: "network-only" }); navigate({ search: { ...search, slab: code } }); }} />
      )}
      <FreezeWindows program={program} canManage={manage} />
    </Stack>
  );
}

function SlabReport({ program, slab }: { program: string; slab: Slab }) {
  const search = useSearch({ from: "/staff/admin/tiers" });
  const navigate = useNavigate({ from: "/admin/tiers" });
  const from = search.from ?? yearAgo();
  const to = search.to ?? today();
  const period = search.period ?? "month";
  const [{ data, fetching, error }] = useQuery({ query: Report, variables: { program, slab: slab.code, from, to, period } });
  const names = Object.fromEntries(slab.tiers.map((t) => [t.code, t.name]));
  const report = data?.tierReport;
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Text fw={700}>Report</Text>
        <Group>
          <TextInput aria-label="From" type="date" value={from} onChange={(e) => e.currentTarget.value && navigate({ search: { ...search, from: e.currentTarget.value } })} />
          <TextInput aria-label="To" type="date" value={to} onChange={(e) => e.currentTarget.value && navigate({ search: { ...search, to: e.currentTarget.value } })} />
          <SegmentedControl aria-label="Period" value={period} data={[{ value: "month", label: "Month" }, { value: "day", label: "Day" }]}
            onChange={(p) => navigate({ search: { ...search, period: p } })} />
        </Group>
      </Group>
      <ErrorNotice error={error} />
      {fetching && !data && <Loading />}
      {report && (
        <Tabs defaultValue="tiers">
          <Tabs.List><Tabs.Tab value="tiers">Members per tier</Tabs.Tab><Tabs.Tab value="moves">Upgrades and downgrades</Tabs.Tab></Tabs.List>
          <Tabs.Panel value="tiers" pt="sm">
            <Table data-testid="tier-mix">
              <Table.Thead><Table.Tr><Table.Th>Tier</Table.Th><Table.Th ta="right">Members</Table.Th><Table.Th ta="right">Spend in the range</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {report.tiers.map((t) => (
                  <Table.Tr key={t.tierCode} data-code={t.tierCode}>
                    <Table.Td>{names[t.tierCode] ?? t.tierCode}</Table.Td>
                    <Table.Td ta="right" data-testid={`members-${t.tierCode}`}>{t.members}</Table.Td>
                    <Table.Td ta="right">{t.spend}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Tabs.Panel>
          <Tabs.Panel value="moves" pt="sm">
            {report.periods.length === 0 ? <Empty>No upgrades or downgrades in this range.</Empty> : (
              <Table data-testid="tier-moves">
                <Table.Thead><Table.Tr><Table.Th>Period</Table.Th><Table.Th ta="right">Upgrades</Table.Th><Table.Th ta="right">Downgrades</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {report.periods.map((p) => (
                    <Table.Tr key={p.period}><Table.Td>{p.period}</Table.Td><Table.Td ta="right">{p.upgrades}</Table.Td><Table.Td ta="right">{p.downgrades}</Table.Td></Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Tabs.Panel>
        </Tabs>
      )}
    </Card>
  );
}

function SlabForm({ initial, isNew, onClose, onSaved }: {
  initial: DefineTierSlabInput; isNew: boolean; onClose: () => void; onSaved: (code: string) => void;
}) {
  const [v, setV] = useState<DefineTierSlabInput>(initial);
  const [error, setError] = useState<CombinedError | undefined>();
  const [{ fetching }, define] = useMutation(Define);
  const set = (change: Partial<DefineTierSlabInput>) => setV({ ...v, ...change });
  const setTier = (i: number, change: Partial<DefineTierSlabInput["tiers"][number]>) =>
    set({ tiers: v.tiers.map((t, j) => (j === i ? { ...t, ...change } : t)) });

  return (
    <Modal opened onClose={onClose} title={isNew ? "New slab" : `Edit ${initial.name}`} size="xl">
      <Stack component="form" onSubmit={async (e: React.FormEvent) => {
        e.preventDefault();
        if (fetching) return;
        const r = await define({ input: v });
        setError(r.error);
        if (!r.error) onSaved(v.code);
      }}>
        <SimpleGrid cols={3}>
          <TextInput label="Slab code" required disabled={!isNew} value={v.code} onChange={(e) => set({ code: e.currentTarget.value.trim() })} />
          <TextInput label="Slab name" required value={v.name} onChange={(e) => set({ name: e.currentTarget.value })} />
          <Select label="Metric" data={[{ value: "points", label: "Points earned" }, { value: "spend", label: "Spend" }, { value: "transactions", label: "Transactions" }]}
            value={v.metric} onChange={(x) => set({ metric: x ?? "points" })} allowDeselect={false} />
          <NumberInput label="Window length" value={v.windowLength} min={1} allowDecimal={false} onChange={(x) => set({ windowLength: Number(x) || 0 })} />
          <Select label="Window unit" data={["month", "day"]} value={v.windowUnit ?? "month"} onChange={(x) => set({ windowUnit: x ?? "month" })} allowDeselect={false} />
          <Select label="Downgrade" data={[{ value: "one_level", label: "One level" }, { value: "to_base", label: "To the base" }]}
            value={v.downgrade ?? "one_level"} onChange={(x) => set({ downgrade: x ?? "one_level" })} allowDeselect={false} />
          <NumberInput label="Grace days" value={v.graceDays ?? 0} min={0} allowDecimal={false} onChange={(x) => set({ graceDays: Number(x) || 0 })} />
          <NumberInput label="Close to upgrade (%)" value={v.closeToUpgradePercent ?? 90} min={1} max={100} allowDecimal={false}
            onChange={(x) => set({ closeToUpgradePercent: Number(x) || 0 })} />
        </SimpleGrid>
        <Text fw={600}>Tiers, the base first</Text>
        <Table>
          <Table.Thead><Table.Tr><Table.Th>Code</Table.Th><Table.Th>Name</Table.Th><Table.Th>Threshold</Table.Th><Table.Th>Keep at</Table.Th><Table.Th>Earn ×</Table.Th><Table.Th>Months</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {v.tiers.map((t, i) => (
              <Table.Tr key={i}>
                <Table.Td><TextInput aria-label={`Tier ${i + 1} code`} value={t.code} onChange={(e) => setTier(i, { code: e.currentTarget.value.trim() })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Tier ${i + 1} name`} value={t.name} onChange={(e) => setTier(i, { name: e.currentTarget.value })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Tier ${i + 1} threshold`} value={t.threshold ?? ""} disabled={i === 0} onChange={(e) => setTier(i, { threshold: e.currentTarget.value })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Tier ${i + 1} keep at`} placeholder="= threshold" value={t.retentionThreshold ?? ""} disabled={i === 0}
                  onChange={(e) => setTier(i, { retentionThreshold: e.currentTarget.value || null })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Tier ${i + 1} multiplier`} value={t.earnMultiplier ?? "1"} onChange={(e) => setTier(i, { earnMultiplier: e.currentTarget.value })} /></Table.Td>
                <Table.Td><NumberInput aria-label={`Tier ${i + 1} months`} value={t.validityMonths ?? 0} disabled={i === 0} min={0} allowDecimal={false}
                  onChange={(x) => setTier(i, { validityMonths: Number(x) || 0 })} /></Table.Td>
                <Table.Td>{i > 0 && <ActionIcon variant="subtle" color="red" aria-label={`Remove tier ${i + 1}`} onClick={() => set({ tiers: v.tiers.filter((_, j) => j !== i) })}>✕</ActionIcon>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group><Button variant="default" size="xs" onClick={() => set({ tiers: [...v.tiers, { code: "", name: "", threshold: "", earnMultiplier: "1", validityMonths: 12 }] })}>Add a tier</Button></Group>
        <ErrorNotice error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={fetching}>Save slab</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

