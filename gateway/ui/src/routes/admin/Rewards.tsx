import {
  Badge, Button, Checkbox, Group, Modal, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Switch, Table,
  TagsInput, Text, TextInput, Textarea, Title,
} from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { type CombinedError, useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { RewardInput, RewardsCatalogueQuery } from "../../gql/graphql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const Catalogue = graphql(`
  query RewardsCatalogue($program: String!, $type: String, $includeInactive: Boolean!) {
    rewards(program: $program, type: $type, includeInactive: $includeInactive) {
      id code name description imageUrl type kind pointsCost value plu partnerCode validFrom validUntil stock
      perMemberLimit tierCodes segmentCodes clubCodes locationCodes issuesVoucher active claimed
    }
  }
`);
const Create = graphql(`mutation CreateReward($input: RewardInput!) { createReward(input: $input) { id code active } }`);
const Update = graphql(`mutation UpdateReward($input: RewardInput!) { updateReward(input: $input) { id code active } }`);

type Reward = RewardsCatalogueQuery["rewards"][number];
const KINDS = [
  { value: "amount_off", label: "Amount off" }, { value: "percent_off", label: "Percent off" },
  { value: "free_item", label: "Free item" }, { value: "partner_voucher", label: "Partner voucher" },
];

// The whole definition as updateReward wants it (it replaces the reward), from a listed reward.
function inputOf(program: string, r: Reward): RewardInput {
  return {
    program, code: r.code, name: r.name, kind: r.kind, pointsCost: r.pointsCost, type: r.type,
    description: r.description || null, imageUrl: r.imageUrl ?? null, value: r.value ?? null, plu: r.plu ?? null,
    partnerCode: r.partnerCode ?? null, validFrom: r.validFrom ?? null, validUntil: r.validUntil ?? null,
    stock: r.stock ?? null, perMemberLimit: r.perMemberLimit ?? null, tierCodes: r.tierCodes, segmentCodes: r.segmentCodes,
    clubCodes: r.clubCodes, locationCodes: r.locationCodes, issuesVoucher: r.issuesVoucher, active: r.active,
  };
}

// The catalogue and targeted offers: filters in the URL, create, edit, deactivate and reactivate.
export default function Rewards() {
  const program = useProgram();
  const manage = can(useGrants(), "rewards.manage");
  const search = useSearch({ from: "/staff/admin/rewards" });
  const navigate = useNavigate({ from: "/admin/rewards" });
  const variables = { program, type: search.type ?? null, includeInactive: search.inactive === true };
  const [{ data, fetching, error }, refetch] = useQuery({ query: Catalogue, variables, pause: !program });
  const [updateState, update] = useMutation(Update);
  const [editing, setEditing] = useState<RewardInput | null>(null);
  const [isNew, setIsNew] = useState(false);
  const reload = () => refetch({ requestPolicy: "network-only" });

  const setActive = async (r: Reward, active: boolean) => {
    if (!active && !window.confirm(`Deactivate ${r.name}? Members can no longer claim it.`)) return;
    const res = await update({ input: { ...inputOf(program, r), active } });
    if (!res.error) reload();
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Rewards</Title>
        {manage && (
          <Button onClick={() => {
            setIsNew(true);
            setEditing({ program, code: "", name: "", kind: "amount_off", pointsCost: 100, type: search.type ?? "reward", issuesVoucher: false, active: true });
          }}>New reward</Button>
        )}
      </Group>
      <Group>
        <SegmentedControl
          aria-label="Type" value={search.type ?? "all"}
          data={[{ value: "all", label: "All" }, { value: "reward", label: "Catalogue" }, { value: "offer", label: "Offers" }]}
          onChange={(v) => navigate({ search: { ...search, type: v === "all" ? undefined : v } })}
        />
        <Checkbox label="Show inactive" checked={search.inactive === true}
          onChange={(e) => navigate({ search: { ...search, inactive: e.currentTarget.checked ? true : undefined } })} />
      </Group>
      <ErrorNotice error={error ?? updateState.error} />
      {fetching && !data && <Loading />}
      {data && data.rewards.length === 0 && <Empty>No rewards here yet.</Empty>}
      {data && data.rewards.length > 0 && (
        <Table striped data-testid="rewards-table">
          <Table.Thead>
            <Table.Tr><Table.Th>Reward</Table.Th><Table.Th>Type</Table.Th><Table.Th>Kind</Table.Th><Table.Th ta="right">Points</Table.Th><Table.Th>Stock</Table.Th><Table.Th ta="right">Claimed</Table.Th><Table.Th>Status</Table.Th><Table.Th /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.rewards.map((r) => (
              <Table.Tr key={r.id} data-code={r.code}>
                <Table.Td><Text fw={600}>{r.name}</Text><Text size="xs" c="dimmed">{r.code}{r.validUntil ? ` · until ${r.validUntil.slice(0, 10)}` : ""}</Text></Table.Td>
                <Table.Td>{r.type}</Table.Td>
                <Table.Td>{r.kind}{r.value ? ` ${r.value}` : ""}</Table.Td>
                <Table.Td ta="right">{r.pointsCost}</Table.Td>
                <Table.Td>{r.stock ?? "unlimited"}</Table.Td>
                <Table.Td ta="right">{r.claimed}</Table.Td>
                <Table.Td><Badge variant="light" color={r.active ? "teal" : "gray"}>{r.active ? "active" : "inactive"}</Badge></Table.Td>
                <Table.Td>
                  {manage && (
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="default" onClick={() => { setIsNew(false); setEditing(inputOf(program, r)); }}>Edit</Button>
                      {r.active
                        ? <Button size="xs" color="red" variant="light" onClick={() => setActive(r, false)}>Deactivate</Button>
                        : <Button size="xs" variant="light" onClick={() => setActive(r, true)}>Reactivate</Button>}
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <RewardForm
          initial={editing} isNew={isNew} onClose={() => setEditing(null)}
          onSaved={() => { setEditing(null); reload(); }}
        />
      )}
    </Stack>
  );
}

function RewardForm({ initial, isNew, onClose, onSaved }: {
  initial: RewardInput; isNew: boolean; onClose: () => void; onSaved: () => void;
}) {
  const [v, setV] = useState<RewardInput>(initial);
  const [error, setError] = useState<CombinedError | undefined>();
  const [createState, create] = useMutation(Create);
  const [updateState, update] = useMutation(Update);
  const set = (change: Partial<RewardInput>) => setV({ ...v, ...change });
  const text = (key: keyof RewardInput) => ({
    value: (v[key] as string | null | undefined) ?? "",
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => set({ [key]: e.currentTarget.value || null }),
  });
  const num = (key: "stock" | "perMemberLimit") => ({
    value: v[key] ?? "",
    onChange: (x: number | string) => set({ [key]: x === "" ? null : Number(x) }),
  });
  const busy = createState.fetching || updateState.fetching;

  return (
    <Modal opened onClose={onClose} title={isNew ? "New reward" : `Edit ${initial.name}`} size="lg">
      <Stack component="form" onSubmit={async (e: React.FormEvent) => {
        e.preventDefault();
        if (busy) return;
        const r = isNew ? await create({ input: v }) : await update({ input: v });
        setError(r.error);
        if (!r.error) onSaved();
      }}>
        <SimpleGrid cols={2}>
          <TextInput label="Code" required disabled={!isNew} value={v.code} onChange={(e) => set({ code: e.currentTarget.value.trim() })} />
          <TextInput label="Name" required value={v.name} onChange={(e) => set({ name: e.currentTarget.value })} />
          <Select label="Type" data={[{ value: "reward", label: "Catalogue reward" }, { value: "offer", label: "Targeted offer" }]}
            value={v.type ?? "reward"} onChange={(x) => set({ type: x ?? "reward" })} allowDeselect={false} />
          <Select label="Kind" data={KINDS} value={v.kind} onChange={(x) => set({ kind: x ?? "amount_off" })} allowDeselect={false} />
          <NumberInput label="Points cost" required value={v.pointsCost} allowDecimal={false} min={0}
            onChange={(x) => set({ pointsCost: Number(x) || 0 })} />
          {(v.kind === "amount_off" || v.kind === "percent_off") && (
            <TextInput label={v.kind === "percent_off" ? "Percent off" : "Amount off"} {...text("value")} />
          )}
          {v.kind === "free_item" && <TextInput label="Product code (PLU)" {...text("plu")} />}
          {v.kind === "partner_voucher" && <TextInput label="Partner code" {...text("partnerCode")} />}
          <NumberInput label="Stock" description="Empty: unlimited" allowDecimal={false} min={0} {...num("stock")} />
          <NumberInput label="Claims per member" description="Empty: unlimited" allowDecimal={false} min={0} {...num("perMemberLimit")} />
          <TextInput label="Valid from" description="RFC 3339, e.g. 2027-01-01T00:00:00Z" {...text("validFrom")} />
          <TextInput label="Valid until" description="Exclusive" {...text("validUntil")} />
          <TagsInput label="Only for tiers" value={v.tierCodes ?? []} onChange={(x) => set({ tierCodes: x })} />
          <TagsInput label="Only for segments" value={v.segmentCodes ?? []} onChange={(x) => set({ segmentCodes: x })} />
        </SimpleGrid>
        <Textarea label="Description" {...text("description")} />
        <Group>
          <Switch label="Issues a voucher" checked={v.issuesVoucher ?? false} onChange={(e) => set({ issuesVoucher: e.currentTarget.checked })} />
          <Switch label="Active" checked={v.active ?? true} onChange={(e) => set({ active: e.currentTarget.checked })} />
        </Group>
        <ErrorNotice error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={busy}>{isNew ? "Create reward" : "Save reward"}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
