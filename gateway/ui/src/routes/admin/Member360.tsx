import {
  Badge, Button, Card, Group, SimpleGrid, Stack, Table, Tabs, Text, Title,
} from "@mantine/core";
import { useParams } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { newReference } from "../../client";
import { PointsActionModal } from "../../components/ActionForm";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

// One request for the whole screen: the member with its points, tiers, segments and status history,
// the ledger page, tier progress and history, and the expiry schedule.
const Member360Query = graphql(`
  query Member360($program: String!, $number: String!) {
    member(program: $program, loyaltyNumber: $number) {
      loyaltyNumber firstName lastName email phone birthDate status enrolledAt channel zip nationality
      consents { email sms post }
      points { availablePoints pendingPoints onHoldPoints lifetimeEarned usedPoints expiredPoints nextExpiringPoints nextExpiryDate }
      tiers { slabCode tierCode tierName level achievedAt }
      segments
      statusHistory { fromStatus toStatus reason changedBy changedAt }
    }
    pointsHistory(program: $program, loyaltyNumber: $number, first: 50) {
      items { id kind reference points occurredAt status reason amount currency orderReference }
      nextCursor
    }
    tierProgress(program: $program, loyaltyNumber: $number) {
      slabCode tierCode metric currentValue nextTierCode nextThreshold needed
    }
    tierHistory(program: $program, loyaltyNumber: $number) {
      slabCode change fromTierCode toTierCode reason effectiveOn
    }
    expiringPoints(program: $program, withinDays: 90, loyaltyNumber: $number) {
      items { points expiresAt }
    }
  }
`);

const Adjust = graphql(`
  mutation AdjustPoints($input: AdjustInput!) { adjust(input: $input) { newBalance } }
`);
const Goodwill = graphql(`
  mutation GoodwillPoints($input: GoodwillInput!) { goodwill(input: $input) { newBalance } }
`);

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
  const grants = useGrants();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: Member360Query, variables: { program, number }, pause: !program, requestPolicy: "cache-and-network",
  });
  const [, adjust] = useMutation(Adjust);
  const [, goodwill] = useMutation(Goodwill);
  const [modal, setModal] = useState<"adjust" | "goodwill" | null>(null);
  const [reference, setReference] = useState(() => newReference("ui"));

  if (error && !data) return <ErrorNotice error={error} />;
  if (!data) return fetching ? <Loading /> : null;
  const m = data.member;
  const done = () => { setReference(newReference("ui")); refetch({ requestPolicy: "network-only" }); };

  return (
    <Stack data-testid="member-360">
      <Group justify="space-between">
        <div>
          <Title order={2}>{m.firstName} {m.lastName}</Title>
          <Text c="dimmed">{m.loyaltyNumber} · {m.email} · {m.phone}</Text>
        </div>
        <Group>
          <Badge size="lg" variant="light" data-testid="member-status">{m.status}</Badge>
          {(m.tiers ?? []).map((t) => <Badge key={t.slabCode} size="lg" color="grape">{t.tierName}</Badge>)}
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 2, md: 5 }}>
        <Kpi label="Available" value={m.points.availablePoints} testId="available-points" />
        <Kpi label="Pending" value={m.points.pendingPoints} />
        <Kpi label="Held" value={m.points.onHoldPoints} />
        <Kpi label="Lifetime earned" value={m.points.lifetimeEarned} />
        <Kpi label="Next expiry" value={m.points.nextExpiryDate ? `${m.points.nextExpiringPoints} on ${m.points.nextExpiryDate.slice(0, 10)}` : "—"} />
      </SimpleGrid>
      <Group>
        {can(grants, "points.adjust") && <Button variant="default" onClick={() => setModal("adjust")}>Adjust</Button>}
        {can(grants, "points.goodwill") && <Button variant="default" onClick={() => setModal("goodwill")}>Goodwill</Button>}
      </Group>
      <PointsActionModal
        title="Adjust points" opened={modal === "adjust"} onClose={() => setModal(null)} allowNegative
        submit={async (points, reason) => {
          const r = await adjust({ input: { program, loyaltyNumber: number, points, reason, reference } });
          if (!r.error) done();
          return r.error;
        }}
      />
      <PointsActionModal
        title="Goodwill points" opened={modal === "goodwill"} onClose={() => setModal(null)}
        submit={async (points, reason) => {
          const r = await goodwill({ input: { program, loyaltyNumber: number, points, reason, reference } });
          if (!r.error) done();
          return r.error;
        }}
      />
      <Tabs defaultValue="ledger">
        <Tabs.List>
          <Tabs.Tab value="ledger">Ledger</Tabs.Tab>
          <Tabs.Tab value="profile">Profile and consents</Tabs.Tab>
          <Tabs.Tab value="tiers">Tiers</Tabs.Tab>
          <Tabs.Tab value="expiry">Expiry schedule</Tabs.Tab>
          <Tabs.Tab value="status">Status history</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="ledger" pt="md">
          {data.pointsHistory.items.length === 0 ? <Empty>No transactions yet.</Empty> : (
            <Table striped data-testid="ledger">
              <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Kind</Table.Th><Table.Th>Reference</Table.Th><Table.Th>Amount</Table.Th><Table.Th ta="right">Points</Table.Th><Table.Th>Status</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {data.pointsHistory.items.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>{t.occurredAt.slice(0, 16).replace("T", " ")}</Table.Td>
                    <Table.Td>{t.kind}</Table.Td>
                    <Table.Td>{t.reference}</Table.Td>
                    <Table.Td>{t.amount ? `${t.amount} ${t.currency ?? ""}` : ""}</Table.Td>
                    <Table.Td ta="right">{t.points}</Table.Td>
                    <Table.Td>{t.status}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="profile" pt="md">
          <Table>
            <Table.Tbody>
              <Table.Tr><Table.Td>Birth date</Table.Td><Table.Td>{m.birthDate ?? "—"}</Table.Td></Table.Tr>
              <Table.Tr><Table.Td>Enrolled</Table.Td><Table.Td>{m.enrolledAt.slice(0, 10)} via {m.channel || "—"}</Table.Td></Table.Tr>
              <Table.Tr><Table.Td>Postcode / nationality</Table.Td><Table.Td>{m.zip || "—"} / {m.nationality || "—"}</Table.Td></Table.Tr>
              <Table.Tr><Table.Td>Consents</Table.Td><Table.Td>email {m.consents?.email ? "yes" : "no"}, sms {m.consents?.sms ? "yes" : "no"}, post {m.consents?.post ? "yes" : "no"}</Table.Td></Table.Tr>
              <Table.Tr><Table.Td>Segments</Table.Td><Table.Td>{m.segments.join(", ") || "—"}</Table.Td></Table.Tr>
            </Table.Tbody>
          </Table>
        </Tabs.Panel>
        <Tabs.Panel value="tiers" pt="md">
          {data.tierProgress.map((p) => (
            <Text key={p.slabCode}>{p.slabCode}: {p.tierCode}, {p.metric} {p.currentValue}{p.nextTierCode ? `, ${p.needed} to ${p.nextTierCode}` : ""}</Text>
          ))}
          {data.tierHistory.length === 0 ? <Empty>No tier changes.</Empty> : data.tierHistory.map((h, i) => (
            <Text key={i} size="sm">{h.effectiveOn}: {h.change} {h.fromTierCode} → {h.toTierCode} ({h.reason})</Text>
          ))}
        </Tabs.Panel>
        <Tabs.Panel value="expiry" pt="md">
          {data.expiringPoints.items.length === 0 ? <Empty>Nothing expires in the next 90 days.</Empty> : data.expiringPoints.items.map((x, i) => (
            <Text key={i}>{x.points} points on {x.expiresAt.slice(0, 10)}</Text>
          ))}
        </Tabs.Panel>
        <Tabs.Panel value="status" pt="md">
          {m.statusHistory.length === 0 ? <Empty>No status changes.</Empty> : m.statusHistory.map((s, i) => (
            <Text key={i} size="sm">{s.changedAt.slice(0, 10)}: {s.fromStatus} → {s.toStatus} by {s.changedBy} ({s.reason})</Text>
          ))}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
