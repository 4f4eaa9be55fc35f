import { Badge, Button, Group, Select, Table, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useQuery } from "urql";
import { AnchorLink } from "../../components/Links";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";

const SearchMembers = graphql(`
  query SearchMembers($program: String!, $query: String!, $after: String, $status: String) {
    searchMembers(program: $program, query: $query, first: 20, after: $after, status: $status) {
      members { loyaltyNumber firstName lastName email phone status enrolledAt }
      nextPageToken
    }
  }
`);

export default function Members() {
  const program = useProgram();
  const search = useSearch({ from: "/staff/admin/members" });
  const navigate = useNavigate({ from: "/admin/members" });
  const [text, setText] = useState(search.q);
  const [{ data, fetching, error }] = useQuery({
    query: SearchMembers,
    variables: { program, query: search.q, after: search.after ?? null, status: search.status ?? null },
    pause: !program,
  });
  const page = data?.searchMembers;

  return (
    <>
      <Title order={2} mb="md">Members</Title>
      <Group
        mb="md" component="form"
        onSubmit={(e: React.FormEvent) => { e.preventDefault(); navigate({ search: { q: text, after: undefined, status: search.status } }); }}
      >
        <TextInput
          placeholder="Loyalty number, email, phone or name" value={text} w={360} aria-label="Search members"
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <Select
          aria-label="Status" placeholder="Any status" clearable w={160}
          data={["active", "suspended", "blocked", "closed"]} value={search.status ?? null}
          onChange={(v) => navigate({ search: { q: search.q, after: undefined, status: v ?? undefined } })}
        />
        <Button type="submit">Search</Button>
      </Group>
      <ErrorNotice error={error} />
      {fetching && <Loading />}
      {page && page.members.length === 0 && <Empty>No member matches.</Empty>}
      {page && page.members.length > 0 && (
        <Table striped highlightOnHover data-testid="members-table">
          <Table.Thead>
            <Table.Tr><Table.Th>Number</Table.Th><Table.Th>Name</Table.Th><Table.Th>Email</Table.Th><Table.Th>Phone</Table.Th><Table.Th>Status</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {page.members.map((m) => (
              <Table.Tr key={m.loyaltyNumber}>
                <Table.Td>
                  <AnchorLink to="/admin/members/$number" params={{ number: m.loyaltyNumber }}>{m.loyaltyNumber}</AnchorLink>
                </Table.Td>
                <Table.Td>{m.firstName} {m.lastName}</Table.Td>
                <Table.Td>{m.email}</Table.Td>
                <Table.Td>{m.phone}</Table.Td>
                <Table.Td><Badge variant="light">{m.status}</Badge></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {page?.nextPageToken && (
        <Button variant="default" mt="md" onClick={() => navigate({ search: { ...search, after: page.nextPageToken ?? undefined } })}>
          Next page
        </Button>
      )}
    </>
  );
}
