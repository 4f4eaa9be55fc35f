import {
  Badge, Button, Card, Code, Group, Menu, Progress, SimpleGrid, Stack, Switch, Table, Tabs, Text, Title,
} from "@mantine/core";
import { useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { useEffect, useRef, useState } from "react";
import { type AnyVariables, type TypedDocumentNode, type UseQueryArgs, useClient, useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { newReference } from "../../client";
import { type ActionField, ActionModal } from "../../components/ActionForm";
import { AnchorLink } from "../../components/Links";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { Header, LedgerTab } from "./member360Queries";
import { can, useGrants } from "../../session";
import { usePainted } from "../../paint";

const ProfileTab = graphql(`
  query Member360Profile($program: String!, $number: String!) {
    member(program: $program, loyaltyNumber: $number) {
      loyaltyNumber birthDate enrolledAt channel zip nationality optedInAt statusChangedAt customAttributes
      consents { email sms post }
      statusHistory { fromStatus toStatus reason changedBy changedAt }
    }
  }
`);
const TiersTab = graphql(`
  query Member360Tiers($program: String!, $number: String!) {
    tierStatus(program: $program, loyaltyNumber: $number) {
      slabCode tierCode tierName level achievedAt lapsesOn overrideTierCode overrideEndsOn
    }
    tierHistory(program: $program, loyaltyNumber: $number) {
      slabCode change fromTierCode toTierCode reason effectiveOn recordedAt
    }
    tierSlabs(program: $program) { code name tiers { code name } }
  }
`);
const RewardsTab = graphql(`
  query Member360Rewards($program: String!, $number: String!) {
    memberRewardClaims(program: $program, loyaltyNumber: $number) {
      reference rewardCode points status voucherCode claimedAt settledAt voidedAt holdExpiresAt orderReference
    }
    rewardEligibility(program: $program, loyaltyNumber: $number) {
      available { reward { code name pointsCost } claimsLeft }
      next { reward { code name pointsCost } pointsNeeded }
    }
  }
`);
const EarnsTab = graphql(`
  query Member360Earns($program: String!, $number: String!) {
    pointsHistory(program: $program, loyaltyNumber: $number, kinds: ["EARN", "RETRO_CLAIM"], first: 25) {
      items { id reference points occurredAt amount currency }
    }
  }
`);
const Explain = graphql(`
  query Member360Explain($program: String!, $reference: String!) {
    earnBreakdown(program: $program, reference: $reference) {
      points netAmount
      breakdown { rule ruleVersion pointType points description campaignCode }
      discounts { rule description amount }
    }
  }
`);
const ClubsTab = graphql(`
  query Member360Clubs($program: String!, $number: String!) {
    memberClubs(program: $program, loyaltyNumber: $number) { clubCodes }
    clubs(program: $program) { code name }
    member(program: $program, loyaltyNumber: $number) { loyaltyNumber segments }
    segments(program: $program) { code name kind }
  }
`);
const ExportMember = graphql(`query Member360Export($program: String!, $number: String!) { memberExport(program: $program, loyaltyNumber: $number) }`);

const Adjust = graphql(`mutation AdjustPoints($input: AdjustInput!) { adjust(input: $input) { newBalance } }`);
const Goodwill = graphql(`mutation GoodwillPoints($input: GoodwillInput!) { goodwill(input: $input) { newBalance } }`);
const Transfer = graphql(`mutation TransferPoints($input: TransferInput!) { transfer(input: $input) { newBalance } }`);
const Extend = graphql(`mutation ExtendExpiry($input: ExtendExpiryInput!) { extendExpiry(input: $input) { lotsExtended pointsExtended } }`);
const Status = graphql(`mutation ChangeMemberStatus($input: ChangeMemberStatusInput!) { changeMemberStatus(input: $input) { member { loyaltyNumber status } } }`);
const Merge = graphql(`mutation MergeMembers($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }`);
const Erase = graphql(`mutation EraseMember($input: EraseMemberInput!) { eraseMember(input: $input) { member { loyaltyNumber status } } }`);
const Override = graphql(`mutation SetTierOverride($input: SetTierOverrideInput!) { setTierOverride(input: $input) { slabCode tierCode } }`);
const ClearOverride = graphql(`mutation ClearTierOverride($input: ClearTierOverrideInput!) { clearTierOverride(input: $input) { slabCode tierCode } }`);

type Action = "adjust" | "goodwill" | "transfer" | "extend" | "status" | "merge" | "erase" | "override";
const STATUSES = ["active", "suspended", "blacklisted", "opted_out"];
const when = (s?: string | null) => (s ? s.slice(0, 16).replace("T", " ") : "—");
// The API's decimals may come normalised ("1E+2"): shown with two decimals.
const money = (amount?: string | null, currency?: string | null) =>
  amount ? `${Number(amount).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 })} ${currency ?? ""}` : "";

function Kpi({ label, value, testId }: { label: string; value: React.ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed" tt="uppercase">{label}</Text>
      <Text fw={700} size="xl" data-testid={testId}>{value}</Text>
    </Card>
  );
}

export default function Member360() {
  const program = useProgram();
  const { number } = useParams({ from: "/staff/admin/members/$number" });
  const search = useSearch({ from: "/staff/admin/members/$number" });
  const navigate = useNavigate({ from: "/admin/members/$number" });
  const grants = useGrants();
  const client = useClient();
  // The route's loader fetched the header (awaited) and the ledger page (in flight) from the network
  // as it matched: both are read from the cache here, not asked for a second time.
  const [{ data, fetching, error }, refetch] = useQuery({ query: Header, variables: { program, number }, pause: !program });
  const [, adjust] = useMutation(Adjust);
  const [, goodwill] = useMutation(Goodwill);
  const [, transfer] = useMutation(Transfer);
  const [, extend] = useMutation(Extend);
  const [, status] = useMutation(Status);
  const [, merge] = useMutation(Merge);
  const [, erase] = useMutation(Erase);
  const [, override] = useMutation(Override);
  const [modal, setModal] = useState<Action | null>(null);
  const [reference, setReference] = useState(() => newReference("ui"));
  const [exportError, setExportError] = useState<import("urql").CombinedError | undefined>();
  // A change refetches the header and whichever tab is open (their queries are network-only on a bump).
  const [version, setVersion] = useState(0);
  const painted = usePainted();

  if (error && !data) return <ErrorNotice error={error} />;
  if (!data) return fetching ? <Loading /> : null;
  const m = data.member;
  const tab = search.tab ?? "ledger";
  const done = () => { setReference(newReference("ui")); setVersion((v) => v + 1); refetch({ requestPolicy: "network-only" }); };
  const run = async (r: Promise<{ error?: import("urql").CombinedError }>) => {
    const { error } = await r;
    if (!error) done();
    return error;
  };
  const download = async () => {
    const r = await client.query(ExportMember, { program, number }, { requestPolicy: "network-only" }).toPromise();
    setExportError(r.error);
    if (!r.data) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(r.data.memberExport, null, 2)], { type: "application/json" }));
    Object.assign(document.createElement("a"), { href: url, download: `member-${number}.json` }).click();
    URL.revokeObjectURL(url);
  };

  const actions: { key: Action; label: string; permission: string }[] = [
    { key: "adjust", label: "Adjust points", permission: "points.adjust" },
    { key: "goodwill", label: "Goodwill", permission: "points.goodwill" },
    { key: "transfer", label: "Transfer points", permission: "points.transfer" },
    { key: "extend", label: "Extend expiry", permission: "points.extend_expiry" },
    { key: "status", label: "Change status", permission: "member.status" },
    { key: "override", label: "Tier override", permission: "tier.override" },
    { key: "merge", label: "Merge into…", permission: "member.merge" },
    { key: "erase", label: "Erase personal data", permission: "member.erase" },
  ];
  const allowed = actions.filter((a) => can(grants, a.permission));
  const modalProps = (key: Action, title: string, fields: ActionField[], submit: (v: Record<string, string>) => Promise<import("urql").CombinedError | undefined>) => ({
    title, fields, submit, opened: modal === key, onClose: () => setModal(null), testId: `action-${key}`,
  });
  const slabs = (data.member.tiers ?? []).map((t) => t.slabCode);

  return (
    <Stack data-testid="member-360">
      <Group justify="space-between">
        <div>
          <Title order={2}>{m.firstName} {m.lastName}</Title>
          <Text c="dimmed">{m.loyaltyNumber} · {m.email} · {m.phone}</Text>
          {m.mergedInto && <Text c="orange">Merged into <AnchorLink to="/admin/members/$number" params={{ number: m.mergedInto }}>{m.mergedInto}</AnchorLink></Text>}
        </div>
        <Group>
          <Badge size="lg" variant="light" data-testid="member-status">{m.status}</Badge>
          {(m.tiers ?? []).map((t) => <Badge key={t.slabCode} size="lg" color="grape" data-testid={`tier-badge-${t.slabCode}`}>{t.tierName}</Badge>)}
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 2, md: 5 }}>
        <Kpi label="Available" value={m.points.availablePoints} testId="available-points" />
        <Kpi label="Pending" value={m.points.pendingPoints} testId="pending-points" />
        <Kpi label="Held" value={m.points.onHoldPoints} testId="held-points" />
        <Kpi label="Lifetime earned" value={m.points.lifetimeEarned} />
        <Kpi label="Next expiry" value={m.points.nextExpiryDate ? `${m.points.nextExpiringPoints} on ${m.points.nextExpiryDate.slice(0, 10)}` : "—"} testId="next-expiry" />
      </SimpleGrid>
      {data.tierProgress.map((p) => {
        const pct = p.nextThreshold ? Math.min(100, (Number(p.currentValue) / Number(p.nextThreshold)) * 100) : 100;
        return (
          <div key={p.slabCode} data-testid={`progress-${p.slabCode}`}>
            <Text size="sm">{p.slabCode}: {p.tierCode}, {p.metric} {p.currentValue}{p.nextTierCode ? ` · ${p.needed} to ${p.nextTierCode}` : " · top tier"}</Text>
            <Progress value={pct} color={p.closeToUpgrade ? "orange" : "blue"} />
          </div>
        );
      })}
      <Group>
        {allowed.length > 0 && (
          <Menu>
            <Menu.Target><Button data-testid="member-actions">Actions</Button></Menu.Target>
            <Menu.Dropdown>
              {allowed.map((a) => <Menu.Item key={a.key} onClick={() => setModal(a.key)} color={a.key === "erase" ? "red" : undefined}>{a.label}</Menu.Item>)}
            </Menu.Dropdown>
          </Menu>
        )}
        {can(grants, "member.search") && <Button variant="default" onClick={download} data-testid="export-member">Export data (JSON)</Button>}
      </Group>
      <ErrorNotice error={exportError} />

      <ActionModal {...modalProps("adjust", "Adjust points", [{ name: "points", label: "Points (negative to debit)", kind: "int", allowNegative: true }],
        (v) => run(adjust({ input: { program, loyaltyNumber: number, points: Number(v.points), reason: v.reason ?? "", reference } })))} />
      <ActionModal {...modalProps("goodwill", "Goodwill points", [{ name: "points", label: "Points", kind: "int" }],
        (v) => run(goodwill({ input: { program, loyaltyNumber: number, points: Number(v.points), reason: v.reason ?? "", reference } })))} />
      <ActionModal {...modalProps("transfer", "Transfer points to another member", [
        { name: "to", label: "To loyalty number" }, { name: "points", label: "Points", kind: "int" }],
        (v) => run(transfer({ input: { program, fromLoyaltyNumber: number, toLoyaltyNumber: v.to ?? "", points: Number(v.points), reason: v.reason ?? "", reference } })))} />
      <ActionModal {...modalProps("extend", "Extend expiry of every open lot", [{ name: "date", label: "New expiry date", kind: "date" }],
        (v) => run(extend({ input: { program, loyaltyNumber: number, newExpiresAt: `${v.date}T23:59:59Z`, reason: v.reason ?? "", reference } })))} />
      <ActionModal {...modalProps("status", "Change status", [{ name: "status", label: "New status", kind: "select", options: STATUSES }],
        (v) => run(status({ input: { program, loyaltyNumber: number, status: v.status ?? "", reason: v.reason ?? "" } })))} />
      <ActionModal {...modalProps("override", "Tier override (a floor)", [
        { name: "slab", label: "Slab", kind: "select", options: slabs }, { name: "tier", label: "Tier code" },
        { name: "endsOn", label: "Holds until (empty: until cleared)", kind: "date", optional: true }],
        (v) => run(override({ input: { program, loyaltyNumber: number, slabCode: v.slab ?? "", tierCode: v.tier ?? "", reason: v.reason ?? "", endsOn: v.endsOn || null, reference } })))} />
      <ActionModal {...modalProps("merge", `Merge ${number} into another member`, [{ name: "to", label: "Surviving loyalty number" }],
        async (v) => {
          const r = await merge({ input: { program, fromLoyaltyNumber: number, toLoyaltyNumber: v.to ?? "", reason: v.reason ?? "" } });
          if (!r.error && r.data) navigate({ to: "/admin/members/$number", params: { number: r.data.mergeMembers.toMember.loyaltyNumber }, search: {} });
          return r.error;
        })} warning="The points, history and tiers move to the survivor; this member is closed." />
      <ActionModal {...modalProps("erase", "Erase personal data", [{ name: "confirm", label: `Type ${number} to confirm` }],
        async (v) => {
          if (v.confirm !== number) return undefined;
          return run(erase({ input: { program, loyaltyNumber: number } }));
        })} noReason confirmLabel="Erase for good"
        warning="Name, contacts and profile are removed for good (the ledger stays whole, anonymous). The erasure itself is recorded in the audit log." />

      {/* The open tab's table (25 ledger rows and the lots) renders once the header is painted. */}
      {painted && <Tabs value={tab} onChange={(t) => navigate({ search: { tab: t === "ledger" ? undefined : t ?? undefined } })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="ledger">Ledger and lots</Tabs.Tab>
          <Tabs.Tab value="profile">Profile and consents</Tabs.Tab>
          <Tabs.Tab value="tiers">Tiers</Tabs.Tab>
          <Tabs.Tab value="rewards">Rewards and vouchers</Tabs.Tab>
          <Tabs.Tab value="earns">Earn breakdowns</Tabs.Tab>
          <Tabs.Tab value="groups">Clubs and segments</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="ledger" pt="md"><Ledger program={program} number={number} after={search.after} version={version} cached /></Tabs.Panel>
        <Tabs.Panel value="profile" pt="md"><Profile program={program} number={number} version={version} /></Tabs.Panel>
        <Tabs.Panel value="tiers" pt="md"><TierTab program={program} number={number} version={version} canClear={can(grants, "tier.override")} onChange={done} /></Tabs.Panel>
        <Tabs.Panel value="rewards" pt="md"><RewardTab program={program} number={number} version={version} /></Tabs.Panel>
        <Tabs.Panel value="earns" pt="md"><Earns program={program} number={number} version={version} /></Tabs.Panel>
        <Tabs.Panel value="groups" pt="md"><Groups program={program} number={number} version={version} /></Tabs.Panel>
      </Tabs>}
    </Stack>
  );
}

interface TabProps { program: string; number: string; version: number }

// A tab's one query; after an action (`version` bumped) it asks the API again. `cached`: the route's
// loader has just sent it to the network (the ledger), so the cache answers.
function useTabQuery<D, V extends AnyVariables>(query: TypedDocumentNode<D, V>, variables: V, version: number, cached = false) {
  const requestPolicy = cached ? "cache-first" : "cache-and-network";
  const [result, refetch] = useQuery<D, V>({ query, variables, requestPolicy } as UseQueryArgs<V, D>);
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current !== version) { seen.current = version; refetch({ requestPolicy: "network-only" }); }
  }, [version, refetch]);
  return result;
}

function tabBody<Q>(result: { data?: Q; error?: import("urql").CombinedError; fetching: boolean }, render: (data: Q) => React.ReactNode) {
  if (result.error && !result.data) return <ErrorNotice error={result.error} />;
  if (!result.data) return <Loading />;
  return <>{render(result.data)}</>;
}

function Ledger({ program, number, after, version, cached }: TabProps & { after?: string; cached?: boolean }) {
  const navigate = useNavigate({ from: "/admin/members/$number" });
  const [closed, setClosed] = useState(false);
  const r = useTabQuery(LedgerTab, { program, number, after: after ?? null, closed }, version, cached && !closed);
  return tabBody(r, (d) => (
    <Stack>
      <Title order={4}>Transactions</Title>
      {d.pointsHistory.items.length === 0 ? <Empty>No transactions yet.</Empty> : (
        <Table striped data-testid="ledger">
          <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Kind</Table.Th><Table.Th>Reference</Table.Th><Table.Th>Amount</Table.Th><Table.Th ta="right">Points</Table.Th><Table.Th>Status</Table.Th><Table.Th>Reason</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {d.pointsHistory.items.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>{when(t.occurredAt)}</Table.Td>
                <Table.Td>{t.kind}{t.counterpartyLoyaltyNumber ? ` ↔ ${t.counterpartyLoyaltyNumber}` : ""}</Table.Td>
                <Table.Td>{t.reference}</Table.Td>
                <Table.Td>{money(t.amount, t.currency)}</Table.Td>
                <Table.Td ta="right">{t.points}</Table.Td>
                <Table.Td>{t.status}</Table.Td>
                <Table.Td>{t.reason ?? ""}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group>
        {after && <Button variant="default" onClick={() => navigate({ search: (s) => ({ ...s, after: undefined }) })}>First page</Button>}
        {d.pointsHistory.nextCursor && (
          <Button variant="default" onClick={() => navigate({ search: (s) => ({ ...s, after: d.pointsHistory.nextCursor ?? undefined }) })}>Next page</Button>
        )}
      </Group>
      <Group justify="space-between">
        <Title order={4}>Lots and expiry schedule</Title>
        <Switch label="Show spent and expired lots" checked={closed} onChange={(e) => setClosed(e.currentTarget.checked)} />
      </Group>
      {d.memberLots.length === 0 ? <Empty>No open lots: nothing left to spend.</Empty> : (
        <Table data-testid="lots">
          <Table.Thead><Table.Tr><Table.Th>Earned</Table.Th><Table.Th>From</Table.Th><Table.Th ta="right">Points</Table.Th><Table.Th ta="right">Left</Table.Th><Table.Th>Expires</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {d.memberLots.map((l) => (
              <Table.Tr key={l.id} c={l.remaining === 0 ? "dimmed" : undefined}>
                <Table.Td>{when(l.earnedAt)}</Table.Td>
                <Table.Td>{l.kind} {l.reference}</Table.Td>
                <Table.Td ta="right">{l.points}</Table.Td>
                <Table.Td ta="right">{l.remaining}</Table.Td>
                <Table.Td>{l.expiresAt ? l.expiresAt.slice(0, 10) : "never"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  ));
}

function Profile({ program, number, version }: TabProps) {
  const r = useTabQuery(ProfileTab, { program, number }, version);
  return tabBody(r, ({ member: m }) => (
    <Stack>
      <Table data-testid="profile">
        <Table.Tbody>
          <Table.Tr><Table.Td>Birth date</Table.Td><Table.Td>{m.birthDate ?? "—"}</Table.Td></Table.Tr>
          <Table.Tr><Table.Td>Enrolled</Table.Td><Table.Td>{m.enrolledAt.slice(0, 10)} via {m.channel || "—"}</Table.Td></Table.Tr>
          <Table.Tr><Table.Td>Postcode / nationality</Table.Td><Table.Td>{m.zip || "—"} / {m.nationality || "—"}</Table.Td></Table.Tr>
          <Table.Tr><Table.Td>Consents</Table.Td><Table.Td data-testid="consents">email {m.consents?.email ? "yes" : "no"}, sms {m.consents?.sms ? "yes" : "no"}, post {m.consents?.post ? "yes" : "no"} (since {m.optedInAt ? m.optedInAt.slice(0, 10) : "—"})</Table.Td></Table.Tr>
          <Table.Tr><Table.Td>Custom attributes</Table.Td><Table.Td><Code>{JSON.stringify(m.customAttributes)}</Code></Table.Td></Table.Tr>
        </Table.Tbody>
      </Table>
      <Title order={4}>Status history</Title>
      {m.statusHistory.length === 0 ? <Empty>No status changes.</Empty> : (
        <Table data-testid="status-history">
          <Table.Tbody>
            {m.statusHistory.map((s, i) => (
              <Table.Tr key={i}><Table.Td>{when(s.changedAt)}</Table.Td><Table.Td>{s.fromStatus} → {s.toStatus}</Table.Td><Table.Td>{s.changedBy}</Table.Td><Table.Td>{s.reason}</Table.Td></Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  ));
}

function TierTab({ program, number, version, canClear, onChange }: TabProps & { canClear: boolean; onChange: () => void }) {
  const r = useTabQuery(TiersTab, { program, number }, version);
  const [clearState, clear] = useMutation(ClearOverride);
  return tabBody(r, (d) => (
    <Stack>
      {d.tierStatus.length === 0 ? <Empty>The program has no tier slabs.</Empty> : (
        <Table data-testid="tier-status">
          <Table.Thead><Table.Tr><Table.Th>Slab</Table.Th><Table.Th>Tier</Table.Th><Table.Th>Since</Table.Th><Table.Th>Lapses</Table.Th><Table.Th>Override</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {d.tierStatus.map((t) => (
              <Table.Tr key={t.slabCode}>
                <Table.Td>{d.tierSlabs.find((s) => s.code === t.slabCode)?.name ?? t.slabCode}</Table.Td>
                <Table.Td>{t.tierName}</Table.Td>
                <Table.Td>{t.achievedAt?.slice(0, 10) ?? "—"}</Table.Td>
                <Table.Td>{t.lapsesOn ?? "—"}</Table.Td>
                <Table.Td>{t.overrideTierCode ? `${t.overrideTierCode}${t.overrideEndsOn ? ` until ${t.overrideEndsOn}` : ""}` : "—"}</Table.Td>
                <Table.Td>
                  {canClear && t.overrideTierCode && (
                    <Button size="xs" variant="default" loading={clearState.fetching}
                      onClick={async () => { const x = await clear({ input: { program, loyaltyNumber: number, slabCode: t.slabCode, reason: "cleared from member 360" } }); if (!x.error) onChange(); }}>
                      Clear override
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ErrorNotice error={clearState.error} />
      <Title order={4}>Tier history</Title>
      {d.tierHistory.length === 0 ? <Empty>No tier changes.</Empty> : (
        <Table data-testid="tier-history">
          <Table.Tbody>
            {d.tierHistory.map((h, i) => (
              <Table.Tr key={i}><Table.Td>{h.effectiveOn}</Table.Td><Table.Td>{h.slabCode}</Table.Td><Table.Td>{h.change}</Table.Td><Table.Td>{h.fromTierCode || "—"} → {h.toTierCode}</Table.Td><Table.Td>{h.reason}</Table.Td></Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  ));
}

function RewardTab({ program, number, version }: TabProps) {
  const r = useTabQuery(RewardsTab, { program, number }, version);
  return tabBody(r, (d) => (
    <Stack>
      <Title order={4}>Claims and vouchers</Title>
      {d.memberRewardClaims.length === 0 ? <Empty>No rewards claimed.</Empty> : (
        <Table data-testid="claims">
          <Table.Thead><Table.Tr><Table.Th>Claimed</Table.Th><Table.Th>Reward</Table.Th><Table.Th ta="right">Points</Table.Th><Table.Th>Status</Table.Th><Table.Th>Voucher</Table.Th><Table.Th>Order</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {d.memberRewardClaims.map((c) => (
              <Table.Tr key={c.reference}>
                <Table.Td>{when(c.claimedAt)}</Table.Td><Table.Td>{c.rewardCode}</Table.Td><Table.Td ta="right">{c.points}</Table.Td>
                <Table.Td><Badge variant="light">{c.status}</Badge></Table.Td><Table.Td>{c.voucherCode ?? "—"}</Table.Td><Table.Td>{c.orderReference ?? ""}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={4}>Can claim now</Title>
      {d.rewardEligibility.available.length === 0 ? <Empty>Nothing in reach yet.</Empty> : d.rewardEligibility.available.map((e) => (
        <Text key={e.reward.code}>{e.reward.name} · {e.reward.pointsCost} points{e.claimsLeft != null ? ` · ${e.claimsLeft} left` : ""}</Text>
      ))}
      {d.rewardEligibility.next && <Text c="dimmed">Next: {d.rewardEligibility.next.reward.name}, {d.rewardEligibility.next.pointsNeeded} points to go</Text>}
    </Stack>
  ));
}

function Earns({ program, number, version }: TabProps) {
  const r = useTabQuery(EarnsTab, { program, number }, version);
  const [reference, setReference] = useState<string | null>(null);
  return tabBody(r, (d) => (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      {d.pointsHistory.items.length === 0 ? <Empty>No earns yet.</Empty> : (
        <Table highlightOnHover data-testid="earns">
          <Table.Tbody>
            {d.pointsHistory.items.map((t) => (
              <Table.Tr key={t.id} onClick={() => setReference(t.reference)} style={{ cursor: "pointer" }} bg={t.reference === reference ? "var(--mantine-color-blue-light)" : undefined}>
                <Table.Td>{when(t.occurredAt)}</Table.Td><Table.Td>{t.reference}</Table.Td><Table.Td>{money(t.amount, t.currency)}</Table.Td><Table.Td ta="right">{t.points}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {reference ? <Breakdown program={program} reference={reference} /> : <Empty>Pick an earn to see which rules gave its points.</Empty>}
    </SimpleGrid>
  ));
}

function Breakdown({ program, reference }: { program: string; reference: string }) {
  const [r] = useQuery({ query: Explain, variables: { program, reference } });
  return tabBody(r, ({ earnBreakdown: b }) => (
    <Card withBorder data-testid="breakdown">
      <Text fw={700}>{b.points} points{b.netAmount ? ` on ${b.netAmount} after discounts` : ""}</Text>
      {b.breakdown.map((l, i) => (
        <Text key={i} size="sm">{l.points} · {l.rule} v{l.ruleVersion} ({l.pointType}){l.campaignCode ? ` · campaign ${l.campaignCode}` : ""} — {l.description}</Text>
      ))}
      {b.discounts.map((l, i) => <Text key={`d${i}`} size="sm" c="teal">−{l.amount} · {l.rule}: {l.description}</Text>)}
    </Card>
  ));
}

function Groups({ program, number, version }: TabProps) {
  const r = useTabQuery(ClubsTab, { program, number }, version);
  return tabBody(r, (d) => {
    const clubName = new Map(d.clubs.map((c) => [c.code, c.name]));
    const segmentName = new Map(d.segments.map((s) => [s.code, s.name]));
    return (
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder data-testid="member-clubs">
          <Title order={5}>Clubs</Title>
          {d.memberClubs.clubCodes.length === 0 ? <Empty>In no club.</Empty> : d.memberClubs.clubCodes.map((c) => <Text key={c}>{clubName.get(c) ?? c}</Text>)}
        </Card>
        <Card withBorder data-testid="member-segments">
          <Title order={5}>Segments</Title>
          {d.member.segments.length === 0 ? <Empty>In no segment.</Empty> : d.member.segments.map((s) => <Text key={s}>{segmentName.get(s) ?? s}</Text>)}
        </Card>
      </SimpleGrid>
    );
  });
}
