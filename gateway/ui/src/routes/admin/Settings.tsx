import { Badge, Button, Card, Checkbox, Group, NumberInput, SimpleGrid, Stack, Switch, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, getSession, setSession, useGrants } from "../../session";

const ProgramSettings = graphql(`
  query ProgramSettings($program: String!) {
    program(program: $program) { code name currency timezone expiryDays expiryRoundToMonthEnd archived }
    programLimits(program: $program) { goodwillLimit }
  }
`);
const UpdateProgram = graphql(`
  mutation UpdateProgramSettings($input: UpdateProgramInput!) { updateProgram(input: $input) { code name timezone expiryDays expiryRoundToMonthEnd } }
`);
const MemberSettingsQuery = graphql(`
  query MemberSettingsScreen($program: String!) { memberSettings(program: $program) { welcomeEnabled welcomeSubject welcomeBody customAttributesSchema } }
`);
const UpdateMemberSettings = graphql(`
  mutation UpdateMemberSettingsScreen($input: UpdateMemberSettingsInput!) { updateMemberSettings(input: $input) { welcomeEnabled welcomeSubject welcomeBody } }
`);
const AllPrograms = graphql(`
  query PlatformPrograms($archived: Boolean!) { programs(includeArchived: $archived) { code name currency timezone expiryDays archived } }
`);

// Program settings (program.manage), member settings (member.update) and, for platform admins
// (program.create), every program.
export default function Settings() {
  const program = useProgram();
  const grants = useGrants();
  return (
    <Stack>
      <Title order={2}>Settings</Title>
      {can(grants, "program.read") && <ProgramCard program={program} canManage={can(grants, "program.manage")} />}
      {can(grants, "member.read") && <MemberSettingsCard program={program} canManage={can(grants, "member.update")} />}
      {can(grants, "program.create") && <ProgramsList />}
    </Stack>
  );
}

function ProgramCard({ program, canManage }: { program: string; canManage: boolean }) {
  const [r, refetch] = useQuery({ query: ProgramSettings, variables: { program }, pause: !program });
  const [state, update] = useMutation(UpdateProgram);
  const [v, setV] = useState({ name: "", timezone: "", expiryDays: 0, expiryRoundToMonthEnd: false, goodwillLimit: "" as number | string });
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (!r.data) return;
    const p = r.data.program;
    setV({ name: p.name, timezone: p.timezone, expiryDays: p.expiryDays, expiryRoundToMonthEnd: p.expiryRoundToMonthEnd, goodwillLimit: r.data.programLimits.goodwillLimit ?? "" });
  }, [r.data]);
  if (!r.data) return r.error ? <ErrorNotice error={r.error} /> : <Loading />;
  const p = r.data.program;
  return (
    <Card withBorder data-testid="program-settings" component="form" onSubmit={async (e: React.FormEvent) => {
      e.preventDefault();
      setSaved(false);
      const x = await update({ input: { program, name: v.name, timezone: v.timezone, expiryDays: v.expiryDays,
        expiryRoundToMonthEnd: v.expiryRoundToMonthEnd, goodwillLimit: v.goodwillLimit === "" ? 0 : Number(v.goodwillLimit) } });
      if (!x.error) { setSaved(true); refetch({ requestPolicy: "network-only" }); }
    }}>
      <Group justify="space-between" mb="sm">
        <Title order={4}>Program {p.code}</Title>
        <Group gap="xs"><Badge variant="light">{p.currency}</Badge>{p.archived && <Badge color="gray">archived</Badge>}</Group>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <TextInput label="Program name" value={v.name} disabled={!canManage} onChange={(e) => setV({ ...v, name: e.currentTarget.value })} />
        <TextInput label="Time zone" value={v.timezone} disabled={!canManage} onChange={(e) => setV({ ...v, timezone: e.currentTarget.value })} />
        <NumberInput label="Points expire after (days, 0: never)" value={v.expiryDays} min={0} allowDecimal={false} disabled={!canManage}
          onChange={(x) => setV({ ...v, expiryDays: Number(x) || 0 })} />
        <NumberInput label="Goodwill limit per posting (0: none)" value={v.goodwillLimit} min={0} allowDecimal={false} disabled={!canManage}
          onChange={(x) => setV({ ...v, goodwillLimit: x })} />
        <Checkbox mt="lg" label="Expiry rounds to the month's end" checked={v.expiryRoundToMonthEnd} disabled={!canManage}
          onChange={(e) => setV({ ...v, expiryRoundToMonthEnd: e.currentTarget.checked })} />
      </SimpleGrid>
      <ErrorNotice error={state.error} />
      {canManage && (
        <Group mt="md">
          <Button type="submit" loading={state.fetching}>Save program</Button>
          {saved && <Text c="teal" data-testid="program-saved">Saved.</Text>}
        </Group>
      )}
    </Card>
  );
}

function MemberSettingsCard({ program, canManage }: { program: string; canManage: boolean }) {
  const [r, refetch] = useQuery({ query: MemberSettingsQuery, variables: { program }, pause: !program });
  const [state, update] = useMutation(UpdateMemberSettings);
  const [v, setV] = useState({ welcomeEnabled: false, welcomeSubject: "", welcomeBody: "", schema: "" });
  const [saved, setSaved] = useState(false);
  const [schemaError, setSchemaError] = useState("");
  useEffect(() => {
    if (!r.data) return;
    const m = r.data.memberSettings;
    setV({ welcomeEnabled: m.welcomeEnabled, welcomeSubject: m.welcomeSubject, welcomeBody: m.welcomeBody,
      schema: m.customAttributesSchema ? JSON.stringify(m.customAttributesSchema, null, 2) : "" });
  }, [r.data]);
  if (!r.data) return r.error ? <ErrorNotice error={r.error} /> : <Loading />;
  return (
    <Card withBorder data-testid="member-settings" component="form" onSubmit={async (e: React.FormEvent) => {
      e.preventDefault();
      setSaved(false);
      let schema: unknown = null;
      try { schema = v.schema.trim() ? JSON.parse(v.schema) : null; setSchemaError(""); } catch { setSchemaError("The custom attributes schema is not JSON"); return; }
      const x = await update({ input: { program, welcomeEnabled: v.welcomeEnabled, welcomeSubject: v.welcomeSubject, welcomeBody: v.welcomeBody,
        customAttributesSchema: schema } });
      if (!x.error) { setSaved(true); refetch({ requestPolicy: "network-only" }); }
    }}>
      <Title order={4} mb="sm">Member settings</Title>
      <Stack>
        <Switch label="Send the member service's welcome mail" checked={v.welcomeEnabled} disabled={!canManage}
          onChange={(e) => setV({ ...v, welcomeEnabled: e.currentTarget.checked })} />
        <TextInput label="Welcome subject" value={v.welcomeSubject} disabled={!canManage} onChange={(e) => setV({ ...v, welcomeSubject: e.currentTarget.value })} />
        <Textarea label="Welcome body" autosize minRows={3} value={v.welcomeBody} disabled={!canManage} onChange={(e) => setV({ ...v, welcomeBody: e.currentTarget.value })} />
        <Textarea label="Custom attributes schema (JSON Schema)" autosize minRows={3} value={v.schema} disabled={!canManage}
          error={schemaError || undefined} onChange={(e) => setV({ ...v, schema: e.currentTarget.value })} />
      </Stack>
      <ErrorNotice error={state.error} />
      {canManage && (
        <Group mt="md">
          <Button type="submit" loading={state.fetching}>Save member settings</Button>
          {saved && <Text c="teal" data-testid="member-settings-saved">Saved.</Text>}
        </Group>
      )}
    </Card>
  );
}

function ProgramsList() {
  const [archived, setArchived] = useState(false);
  const [r] = useQuery({ query: AllPrograms, variables: { archived } });
  const open = (code: string) => {
    const s = getSession();
    if (s) { localStorage.setItem("loyalty.lastProgram", code); setSession({ ...s, program: code }); }
  };
  return (
    <Card withBorder data-testid="programs-list">
      <Group justify="space-between" mb="sm">
        <Title order={4}>All programs</Title>
        <Switch label="Show archived" checked={archived} onChange={(e) => setArchived(e.currentTarget.checked)} />
      </Group>
      <ErrorNotice error={r.error} />
      {!r.data && r.fetching && <Loading />}
      {r.data && r.data.programs.length === 0 && <Empty>No programs.</Empty>}
      {r.data && r.data.programs.length > 0 && (
        <Table striped>
          <Table.Thead><Table.Tr><Table.Th>Code</Table.Th><Table.Th>Name</Table.Th><Table.Th>Currency</Table.Th><Table.Th>Time zone</Table.Th><Table.Th>Expiry</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {r.data.programs.map((p) => (
              <Table.Tr key={p.code} data-code={p.code}>
                <Table.Td>{p.code}</Table.Td><Table.Td>{p.name}{p.archived ? " (archived)" : ""}</Table.Td><Table.Td>{p.currency}</Table.Td>
                <Table.Td>{p.timezone}</Table.Td><Table.Td>{p.expiryDays ? `${p.expiryDays} days` : "never"}</Table.Td>
                <Table.Td><Button size="xs" variant="default" onClick={() => open(p.code)}>Switch to</Button></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
