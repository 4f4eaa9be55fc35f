import {
  Alert, Badge, Button, Card, Container, Group, Progress, SimpleGrid, Stack, Table, Text, Title,
} from "@mantine/core";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { Empty, Loading } from "../../components/States";
import { signOut } from "../../auth";

const Mine = graphql(`
  query MyPoints {
    me {
      member {
        loyaltyNumber program
        profile {
          firstName lastName email
          points { availablePoints pendingPoints onHoldPoints lifetimeEarned nextExpiringPoints nextExpiryDate }
          tiers { slabCode tierName }
          recentActivity { id kind reference points occurredAt status amount currency }
        }
        tierProgress { slabCode tierCode nextTierCode currentValue nextThreshold needed metric closeToUpgrade }
        claimableRewards { availablePoints available { reward { code name description } pointsNeeded } next { reward { code name } pointsNeeded } }
      }
    }
  }
`);
const Export = graphql(`mutation ExportMyData { exportMyData }`);

// The member's own page: what they have, what is next, and their data.
export default function Home() {
  const navigate = useNavigate();
  const [{ data, error, fetching }] = useQuery({ query: Mine });
  const [exportState, exportData] = useMutation(Export);
  const [exported, setExported] = useState(false);

  const leave = async () => { await signOut(); navigate({ to: "/me/sign-in" }); };
  const download = async () => {
    const r = await exportData({});
    if (!r.data) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(r.data.exportMyData, null, 2)], { type: "application/json" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: "my-loyalty-data.json" });
    a.click();
    URL.revokeObjectURL(url);
    setExported(true);
  };

  if (error && !data) return <Container p="md"><ErrorNotice error={error} /></Container>;
  if (fetching || !data) return <Loading />;
  const m = data.me.member;
  if (!m) return <Container p="md"><Alert color="red">This page is for members.</Alert></Container>;
  const p = m.profile.points;
  const rewards = m.claimableRewards;

  return (
    <Container size="md" py="md">
      <Stack>
        <Group justify="space-between">
          <div>
            <Title order={2}>Hello, {m.profile.firstName}</Title>
            <Text c="dimmed">Member {m.loyaltyNumber}</Text>
          </div>
          <Button variant="default" onClick={leave}>Sign out</Button>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Card withBorder><Text size="xs" c="dimmed">AVAILABLE</Text><Text fw={700} size="xl" data-testid="my-balance">{p.availablePoints}</Text></Card>
          <Card withBorder><Text size="xs" c="dimmed">PENDING / HELD</Text><Text fw={700} size="xl">{p.pendingPoints} / {p.onHoldPoints}</Text></Card>
          <Card withBorder>
            <Text size="xs" c="dimmed">EXPIRING NEXT</Text>
            <Text fw={700} size="xl">{p.nextExpiryDate ? `${p.nextExpiringPoints} on ${p.nextExpiryDate.slice(0, 10)}` : "—"}</Text>
          </Card>
        </SimpleGrid>
        {m.tierProgress.map((t) => (
          <Card withBorder key={t.slabCode} data-testid="tier-progress">
            <Group justify="space-between">
              <Text fw={600}>{m.profile.tiers?.find((x) => x.slabCode === t.slabCode)?.tierName ?? t.tierCode}</Text>
              {t.closeToUpgrade && <Badge color="grape">Almost there</Badge>}
            </Group>
            {t.nextTierCode && t.nextThreshold ? (
              <>
                <Progress mt="sm" value={Math.min(100, (Number(t.currentValue) / Number(t.nextThreshold)) * 100)} />
                <Text size="sm" mt="xs">{t.needed} more {t.metric} to reach {t.nextTierCode}</Text>
              </>
            ) : <Text size="sm" mt="xs">Top tier</Text>}
          </Card>
        ))}
        <Card withBorder>
          <Title order={4} mb="sm">Rewards</Title>
          {rewards.available.length === 0 ? <Empty>No rewards to claim yet.</Empty> : (
            <Table data-testid="my-rewards">
              <Table.Tbody>
                {rewards.available.map((r) => (
                  <Table.Tr key={r.reward.code}>
                    <Table.Td fw={600}>{r.reward.name}</Table.Td><Table.Td>{r.reward.description}</Table.Td>
                    <Table.Td ta="right">{r.pointsNeeded === 0 ? <Badge color="teal">Yours to claim</Badge> : `${r.pointsNeeded} more points`}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          {rewards.next && <Text size="sm" mt="sm">Next: {rewards.next.reward.name}, {rewards.next.pointsNeeded} points away</Text>}
        </Card>
        <Card withBorder>
          <Title order={4} mb="sm">Recent activity</Title>
          {(m.profile.recentActivity ?? []).length === 0 ? <Empty>Nothing yet.</Empty> : (
            <Table data-testid="my-activity">
              <Table.Thead><Table.Tr><Table.Th>Date</Table.Th><Table.Th>What</Table.Th><Table.Th>Purchase</Table.Th><Table.Th ta="right">Points</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {(m.profile.recentActivity ?? []).map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td>{a.occurredAt.slice(0, 10)}</Table.Td><Table.Td>{a.kind}{a.status !== "posted" ? ` (${a.status})` : ""}</Table.Td>
                    <Table.Td>{a.amount ? `${a.amount} ${a.currency ?? ""}` : ""}</Table.Td><Table.Td ta="right">{a.points}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
        <Card withBorder>
          <Title order={4} mb="sm">My data</Title>
          <Group>
            <Button variant="default" onClick={download} loading={exportState.fetching}>Download my data</Button>
            {exported && <Text size="sm" data-testid="exported">Downloaded.</Text>}
          </Group>
          <ErrorNotice error={exportState.error} />
        </Card>
      </Stack>
    </Container>
  );
}
