import { Badge, Button, Card, Group, NumberInput, Radio, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { AnchorLink, ButtonLink } from "../../components/Links";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

// One page of the queue, filtered and paged by the server (the cursor is kept in the URL).
const Queue = graphql(`
  query LikelyDuplicates($program: String!, $after: String, $minScore: Int!, $query: String) {
    likelyDuplicates(program: $program, first: 50, after: $after, minScore: $minScore, query: $query) {
      pairs {
        score reasons
        first { loyaltyNumber firstName lastName email phone enrolledAt status }
        second { loyaltyNumber firstName lastName email phone enrolledAt status }
      }
      nextCursor
    }
  }
`);
// The two members side by side in one request.
const Pair = graphql(`
  query MergePair($program: String!, $a: String!, $b: String!) {
    a: member(program: $program, loyaltyNumber: $a) { ...MergeSide }
    b: member(program: $program, loyaltyNumber: $b) { ...MergeSide }
  }
  fragment MergeSide on Member {
    loyaltyNumber firstName lastName email phone birthDate zip status enrolledAt channel
    points { availablePoints pendingPoints lifetimeEarned }
    tiers { slabCode tierName }
  }
`);
const Merge = graphql(`
  mutation MergeDuplicate($input: MergeMembersInput!) { mergeMembers(input: $input) { state toMember { loyaltyNumber } } }
`);

// The likely duplicates queue (score, why), and the merge screen of one pair (?a=&b=).
export default function Duplicates() {
  const search = useSearch({ from: "/staff/admin/duplicates" });
  return search.a && search.b ? <MergeScreen a={search.a} b={search.b} /> : <QueueScreen />;
}

function QueueScreen() {
  const program = useProgram();
  const search = useSearch({ from: "/staff/admin/duplicates" });
  const navigate = useNavigate({ from: "/admin/duplicates" });
  const minScore = search.min ?? 0;
  const [r] = useQuery({
    query: Queue, variables: { program, after: search.after ?? null, minScore, query: search.q ?? null },
    pause: !program, requestPolicy: "cache-and-network",
  });
  const pairs = r.data?.likelyDuplicates.pairs ?? [];
  const nextCursor = r.data?.likelyDuplicates.nextCursor;
  const [text, setText] = useState(search.q ?? "");
  return (
    <Stack>
      <Title order={2}>Likely duplicates</Title>
      <Group component="form" align="flex-end" onSubmit={(e: React.FormEvent) => { e.preventDefault(); navigate({ search: { ...search, q: text || undefined, after: undefined } }); }}>
        <TextInput label="Search" aria-label="Search duplicates" value={text} onChange={(e) => setText(e.currentTarget.value)} placeholder="Name, email, phone or number" />
        <NumberInput label="Minimum score" w={140} value={minScore} min={0} onChange={(v) => navigate({ search: { ...search, min: Number(v) || undefined, after: undefined } })} />
        <Button type="submit">Filter</Button>
      </Group>
      <ErrorNotice error={r.error} />
      {!r.data && r.fetching && <Loading />}
      {r.data && pairs.length === 0 && <Empty>No likely duplicates.</Empty>}
      {pairs.length > 0 && (
        <Table striped data-testid="duplicates">
          <Table.Thead><Table.Tr><Table.Th>Score</Table.Th><Table.Th>Member</Table.Th><Table.Th>Looks like</Table.Th><Table.Th>Why</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {pairs.map((p) => (
              <Table.Tr key={`${p.first.loyaltyNumber}-${p.second.loyaltyNumber}`}>
                <Table.Td><Badge>{p.score}</Badge></Table.Td>
                {[p.first, p.second].map((m) => (
                  <Table.Td key={m.loyaltyNumber}>
                    <AnchorLink to="/admin/members/$number" params={{ number: m.loyaltyNumber }}>{m.loyaltyNumber}</AnchorLink>
                    <Text size="sm">{m.firstName} {m.lastName} · {m.email} · {m.phone}</Text>
                  </Table.Td>
                ))}
                <Table.Td>{p.reasons.join(", ")}</Table.Td>
                <Table.Td>
                  <ButtonLink size="xs" to="/admin/duplicates" search={{ a: p.first.loyaltyNumber, b: p.second.loyaltyNumber }}>Compare</ButtonLink>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group>
        {search.after && <Button variant="default" onClick={() => navigate({ search: { ...search, after: undefined } })}>First page</Button>}
        {nextCursor && <Button variant="default" data-testid="duplicates-next" onClick={() => navigate({ search: { ...search, after: nextCursor } })}>Next page</Button>}
      </Group>
    </Stack>
  );
}

function MergeScreen({ a, b }: { a: string; b: string }) {
  const program = useProgram();
  const navigate = useNavigate({ from: "/admin/duplicates" });
  const mayMerge = can(useGrants(), "member.merge");
  const [r] = useQuery({ query: Pair, variables: { program, a, b }, pause: !program, requestPolicy: "network-only" });
  const [survivor, setSurvivor] = useState<string>(a);
  const [reason, setReason] = useState("");
  const [state, merge] = useMutation(Merge);
  if (r.error && !r.data) return <ErrorNotice error={r.error} />;
  if (!r.data) return <Loading />;
  const sides = [r.data.a, r.data.b];
  const rows: [string, (m: typeof sides[number]) => React.ReactNode][] = [
    ["Name", (m) => `${m.firstName} ${m.lastName}`], ["Email", (m) => m.email], ["Phone", (m) => m.phone],
    ["Birth date", (m) => m.birthDate ?? "—"], ["Postcode", (m) => m.zip || "—"], ["Status", (m) => m.status],
    ["Enrolled", (m) => `${m.enrolledAt.slice(0, 10)} via ${m.channel || "—"}`], ["Available points", (m) => m.points.availablePoints],
    ["Lifetime earned", (m) => m.points.lifetimeEarned], ["Tiers", (m) => (m.tiers ?? []).map((t) => t.tierName).join(", ") || "—"],
  ];
  const from = survivor === a ? b : a;
  return (
    <Stack data-testid="merge-screen">
      <Group justify="space-between">
        <Title order={2}>Merge {a} and {b}</Title>
        <ButtonLink variant="default" to="/admin/duplicates" search={{}}>Back to the queue</ButtonLink>
      </Group>
      <Table withColumnBorders>
        <Table.Thead><Table.Tr><Table.Th /><Table.Th>{a}</Table.Th><Table.Th>{b}</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}><Table.Td fw={600}>{label}</Table.Td>{sides.map((m) => <Table.Td key={m.loyaltyNumber}>{value(m)}</Table.Td>)}</Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {mayMerge ? (
        <Card withBorder component="form" onSubmit={async (e: React.FormEvent) => {
          e.preventDefault();
          const x = await merge({ input: { program, fromLoyaltyNumber: from, toLoyaltyNumber: survivor, reason } });
          if (!x.error) navigate({ to: "/admin/members/$number", params: { number: survivor }, search: {} });
        }}>
          <Stack>
            <Radio.Group label="Keep" value={survivor} onChange={setSurvivor}>
              <SimpleGrid cols={2}>{[a, b].map((n) => <Radio key={n} value={n} label={`${n} (the other is merged into it and closed)`} />)}</SimpleGrid>
            </Radio.Group>
            <TextInput label="Reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} required />
            <ErrorNotice error={state.error} />
            <Button type="submit" color="orange" loading={state.fetching} w="fit-content">Merge {from} into {survivor}</Button>
          </Stack>
        </Card>
      ) : <Text c="dimmed">Merging needs the member.merge permission.</Text>}
    </Stack>
  );
}
