import { Anchor, Button, Group, Stack, Table, TextInput, Title } from "@mantine/core";
import { useNavigate } from "@tanstack/react-router";
import { useEffect, useRef, useState } from "react";
import { useClient } from "urql";
import { AnchorLink } from "../../components/Links";
import { graphql } from "../../gql";
import type { SearchMembersQuery } from "../../gql/graphql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty } from "../../components/States";
import { EnrolForm } from "./EnrolForm";

const TillSearch = graphql(`
  query TillSearch($program: String!, $query: String!, $field: String) {
    searchMembers(program: $program, query: $query, field: $field, first: 10) {
      members { loyaltyNumber firstName lastName email phone status }
    }
  }
`);

type Found = SearchMembersQuery["searchMembers"]["members"];

// One box, keyboard first: type or scan (a scanner types the card number and Enter), Enter searches;
// a single match opens the member card at once.
export default function Find() {
  const program = useProgram();
  const client = useClient();
  const navigate = useNavigate();
  const box = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [found, setFound] = useState<Found | null>(null);
  const [error, setError] = useState<import("urql").CombinedError | undefined>();
  const [enrolling, setEnrolling] = useState(false);

  useEffect(() => box.current?.focus(), []);

  const find = async (e: React.FormEvent) => {
    e.preventDefault();
    const query = text.trim();
    if (!query) return;
    // Digits are a card number first, then a phone number typed without "+".
    const fields = /^\d+$/.test(query) ? ["loyalty_number", "phone"] : [null];
    for (const field of fields) {
      const r = await client.query(TillSearch, { program, query, field }, { requestPolicy: "network-only" }).toPromise();
      setError(r.error);
      if (r.error) return;
      const members = r.data?.searchMembers.members ?? [];
      const exact = members.find((m) => m.loyaltyNumber === query);
      if (exact || members.length === 1) {
        navigate({ to: "/till/$number", params: { number: (exact ?? members[0]).loyaltyNumber } });
        return;
      }
      if (members.length) return setFound(members as Found);
    }
    setFound([]);
  };

  return (
    <Stack maw={720}>
      <Title order={2}>Till</Title>
      <Group component="form" onSubmit={find} align="end">
        <TextInput
          ref={box} size="xl" flex={1} label="Card, phone, email or name" aria-label="Find member"
          value={text} onChange={(e) => setText(e.currentTarget.value)} autoComplete="off" data-testid="till-find"
        />
        <Button type="submit" size="xl">Find</Button>
      </Group>
      <ErrorNotice error={error} />
      {found && found.length === 0 && <Empty>No member found. <Anchor onClick={() => setEnrolling(true)}>Enrol a new member</Anchor></Empty>}
      {found && found.length > 0 && (
        <Table highlightOnHover>
          <Table.Tbody>
            {found.map((m) => (
              <Table.Tr key={m.loyaltyNumber}>
                <Table.Td><AnchorLink to="/till/$number" params={{ number: m.loyaltyNumber }}>{m.loyaltyNumber}</AnchorLink></Table.Td>
                <Table.Td>{m.firstName} {m.lastName}</Table.Td>
                <Table.Td>{m.email}</Table.Td>
                <Table.Td>{m.phone}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {!enrolling && <Button variant="subtle" w="fit-content" onClick={() => setEnrolling(true)}>Enrol a new member</Button>}
      {enrolling && <EnrolForm program={program} onDone={(n) => navigate({ to: "/till/$number", params: { number: n } })} />}
    </Stack>
  );
}
