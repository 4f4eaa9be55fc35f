import { Badge, Button, Group, Table, TextInput, Title } from "@mantine/core";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { useQuery } from "urql";
import { AnchorLink } from "../../components/Links";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";

const RuleSetsQuery = graphql(`
  query RuleSets($program: String!) {
    ruleSets(program: $program) { code name scope scopeRef publishedVersion draftVersion archived }
  }
`);

export default function RuleSets() {
  const program = useProgram();
  const navigate = useNavigate();
  const [code, setCode] = useState("");
  const [{ data, fetching, error }] = useQuery({ query: RuleSetsQuery, variables: { program }, pause: !program, requestPolicy: "cache-and-network" });
  return (
    <>
      <Title order={2} mb="md">Rule sets</Title>
      <Group mb="md" component="form" onSubmit={(e: React.FormEvent) => { e.preventDefault(); if (code) navigate({ to: "/admin/rules/$code", params: { code } }); }}>
        <TextInput placeholder="new-rule-set-code" value={code} onChange={(e) => setCode(e.currentTarget.value.trim().toLowerCase())} aria-label="New rule set code" />
        <Button type="submit">New rule set</Button>
      </Group>
      <ErrorNotice error={error} />
      {fetching && !data && <Loading />}
      {data && data.ruleSets.length === 0 && <Empty>No rule sets yet: points are earned at the program's default rate.</Empty>}
      {data && data.ruleSets.length > 0 && (
        <Table striped data-testid="rule-sets">
          <Table.Thead><Table.Tr><Table.Th>Code</Table.Th><Table.Th>Name</Table.Th><Table.Th>Scope</Table.Th><Table.Th>Published</Table.Th><Table.Th>Draft</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {data.ruleSets.map((s) => (
              <Table.Tr key={s.code}>
                <Table.Td><AnchorLink to="/admin/rules/$code" params={{ code: s.code }}>{s.code}</AnchorLink></Table.Td>
                <Table.Td>{s.name}</Table.Td>
                <Table.Td>{s.scope}{s.scopeRef ? `: ${s.scopeRef}` : ""}</Table.Td>
                <Table.Td>{s.publishedVersion ? <Badge>v{s.publishedVersion}</Badge> : "—"}</Table.Td>
                <Table.Td>{s.draftVersion ? <Badge variant="light">v{s.draftVersion}</Badge> : "—"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
