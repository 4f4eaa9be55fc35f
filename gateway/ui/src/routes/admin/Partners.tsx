import { Badge, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { ButtonLink } from "../../components/Links";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

// One request: the partners (filtered by status in the URL), the segments and every rate card.
const PartnersQuery = graphql(`
  query PartnersScreen($program: String!, $status: String) {
    partners(program: $program, status: $status) { code name status segmentCode locations { code name } contacts { name email } }
    partnerSegments(program: $program) { code name partnerCodes }
    rateCards(program: $program) { id partnerCode segmentCode campaignCode validFrom validTo issueRate redeemRate currency }
  }
`);
const CreatePartner = graphql(`
  mutation CreatePartnerScreen($input: CreatePartnerInput!) { createPartner(input: $input) { code } }
`);
const UpdatePartner = graphql(`
  mutation UpdatePartnerStatus($input: UpdatePartnerInput!) { updatePartner(input: $input) { code status } }
`);
const CreateCard = graphql(`
  mutation CreateRateCardScreen($input: CreateRateCardInput!) { createRateCard(input: $input) { id } }
`);

// Partners, their locations and rate cards (what a point is worth when issued and redeemed there).
export default function Partners() {
  const program = useProgram();
  const manage = can(useGrants(), "billing.manage");
  const search = useSearch({ from: "/staff/admin/partners" });
  const navigate = useNavigate({ from: "/admin/partners" });
  const [r, refetch] = useQuery({ query: PartnersQuery, variables: { program, status: search.status ?? null }, pause: !program });
  const [partnerState, createPartner] = useMutation(CreatePartner);
  const [updateState, updatePartner] = useMutation(UpdatePartner);
  const [cardState, createCard] = useMutation(CreateCard);
  const [p, setP] = useState({ code: "", name: "", location: "" });
  const [c, setC] = useState({ partnerCode: "", validFrom: new Date().toISOString().slice(0, 10), issueRate: "", redeemRate: "", currency: "EUR" });
  const reload = () => refetch({ requestPolicy: "network-only" });
  if (r.error && !r.data) return <ErrorNotice error={r.error} />;
  if (!r.data) return <Loading />;
  const d = r.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Partners</Title>
        <ButtonLink variant="default" to="/admin/reports" search={{ report: "partners" }}>Statements and invoices</ButtonLink>
      </Group>
      <Select aria-label="Partner status" placeholder="Any status" clearable w={200} data={["ACTIVE", "SUSPENDED", "TERMINATED"]}
        value={search.status ?? null} onChange={(s) => navigate({ search: { status: s ?? undefined } })} />
      <ErrorNotice error={updateState.error} />
      {d.partners.length === 0 ? <Empty>No partners yet.</Empty> : (
        <Table striped data-testid="partners-table">
          <Table.Thead><Table.Tr><Table.Th>Code</Table.Th><Table.Th>Name</Table.Th><Table.Th>Status</Table.Th><Table.Th>Segment</Table.Th><Table.Th>Locations</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {d.partners.map((x) => (
              <Table.Tr key={x.code} data-code={x.code}>
                <Table.Td>{x.code}</Table.Td><Table.Td>{x.name}</Table.Td><Table.Td><Badge variant="light">{x.status}</Badge></Table.Td>
                <Table.Td>{x.segmentCode ?? "—"}</Table.Td><Table.Td>{x.locations.map((l) => l.code).join(", ")}</Table.Td>
                <Table.Td>
                  {manage && x.status === "ACTIVE" && (
                    <Button size="xs" variant="default" onClick={async () => { if (!(await updatePartner({ input: { program, code: x.code, status: "SUSPENDED" } })).error) reload(); }}>Suspend</Button>
                  )}
                  {manage && x.status === "SUSPENDED" && (
                    <Button size="xs" variant="default" onClick={async () => { if (!(await updatePartner({ input: { program, code: x.code, status: "ACTIVE" } })).error) reload(); }}>Reactivate</Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={3}>Rate cards</Title>
      {d.rateCards.length === 0 ? <Empty>No rate cards.</Empty> : (
        <Table striped data-testid="rate-cards">
          <Table.Thead><Table.Tr><Table.Th>For</Table.Th><Table.Th>Valid</Table.Th><Table.Th ta="right">Issue rate</Table.Th><Table.Th ta="right">Redeem rate</Table.Th><Table.Th>Currency</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {d.rateCards.map((x) => (
              <Table.Tr key={x.id}>
                <Table.Td>{x.partnerCode ? `partner ${x.partnerCode}` : x.segmentCode ? `segment ${x.segmentCode}` : "program"}{x.campaignCode ? ` · campaign ${x.campaignCode}` : ""}</Table.Td>
                <Table.Td>{x.validFrom} → {x.validTo ?? "open"}</Table.Td><Table.Td ta="right">{x.issueRate}</Table.Td><Table.Td ta="right">{x.redeemRate}</Table.Td><Table.Td>{x.currency}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {d.partnerSegments.length > 0 && <Text size="sm" c="dimmed">Segments: {d.partnerSegments.map((s) => `${s.name} (${s.partnerCodes.join(", ")})`).join("; ")}</Text>}
      {manage && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder component="form" onSubmit={async (e: React.FormEvent) => {
            e.preventDefault();
            const x = await createPartner({ input: { program, code: p.code, name: p.name, locations: p.location ? [{ code: p.location, name: p.location }] : [] } });
            if (!x.error) { setP({ code: "", name: "", location: "" }); reload(); }
          }}>
            <Title order={4} mb="sm">New partner</Title>
            <Stack>
              <TextInput label="Partner code" required value={p.code} onChange={(e) => setP({ ...p, code: e.currentTarget.value.trim() })} />
              <TextInput label="Partner name" required value={p.name} onChange={(e) => setP({ ...p, name: e.currentTarget.value })} />
              <TextInput label="First location code" value={p.location} onChange={(e) => setP({ ...p, location: e.currentTarget.value.trim() })} />
              <ErrorNotice error={partnerState.error} />
              <Button type="submit" loading={partnerState.fetching} w="fit-content">Create partner</Button>
            </Stack>
          </Card>
          <Card withBorder component="form" onSubmit={async (e: React.FormEvent) => {
            e.preventDefault();
            const x = await createCard({ input: { program, partnerCode: c.partnerCode || null, validFrom: c.validFrom, issueRate: c.issueRate, redeemRate: c.redeemRate, currency: c.currency } });
            if (!x.error) { setC({ ...c, issueRate: "", redeemRate: "" }); reload(); }
          }}>
            <Title order={4} mb="sm">New rate card</Title>
            <Stack>
              <Select label="Card partner" placeholder="The whole program" clearable data={d.partners.map((x) => x.code)} value={c.partnerCode || null}
                onChange={(v) => setC({ ...c, partnerCode: v ?? "" })} />
              <TextInput type="date" label="Valid from" required value={c.validFrom} onChange={(e) => setC({ ...c, validFrom: e.currentTarget.value })} />
              <Group grow>
                <TextInput label="Issue rate (per point)" required value={c.issueRate} onChange={(e) => setC({ ...c, issueRate: e.currentTarget.value })} />
                <TextInput label="Redeem rate (per point)" required value={c.redeemRate} onChange={(e) => setC({ ...c, redeemRate: e.currentTarget.value })} />
                <TextInput label="Currency" required value={c.currency} onChange={(e) => setC({ ...c, currency: e.currentTarget.value.toUpperCase() })} />
              </Group>
              <ErrorNotice error={cardState.error} />
              <Button type="submit" loading={cardState.fetching} w="fit-content">Create rate card</Button>
            </Stack>
          </Card>
        </SimpleGrid>
      )}
    </Stack>
  );
}
