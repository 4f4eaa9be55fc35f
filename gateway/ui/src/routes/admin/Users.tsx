import { Badge, Button, Card, CloseButton, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const UsersQuery = graphql(`
  query ProgramUsers($program: String!) {
    users(program: $program) { id email displayName status totpEnabled lastSignInAt roles { program role store } }
    roles(program: $program) { code name builtin }
  }
`);
const Invite = graphql(`
  mutation InviteUser($input: InviteUserInput!) { inviteUser(input: $input) { userId expiresAt } }
`);
const Assign = graphql(`
  mutation AssignRole($input: RoleAssignmentInput!) { assignRole(input: $input) { id roles { program role store } } }
`);
const Remove = graphql(`
  mutation RemoveRole($input: RoleAssignmentInput!) { removeRole(input: $input) { id roles { program role store } } }
`);
const Deactivate = graphql(`
  mutation DeactivateUser($input: DeactivateUserInput!) { deactivateUser(input: $input) { id status } }
`);

// The program's people: invitations (mailed, single use), roles per program and store, deactivation.
export default function Users() {
  const program = useProgram();
  const manage = can(useGrants(), "user.manage");
  const [{ data, error, fetching }, refetch] = useQuery({ query: UsersQuery, variables: { program }, pause: !program });
  const [assignState, assign] = useMutation(Assign);
  const [removeState, remove] = useMutation(Remove);
  const [deactivateState, deactivate] = useMutation(Deactivate);
  const [adding, setAdding] = useState<Record<string, string | null>>({});
  const reload = () => refetch({ requestPolicy: "network-only" });

  if (error && !data) return <ErrorNotice error={error} />;
  if (fetching && !data) return <Loading />;
  if (!data) return null;
  const roleNames = Object.fromEntries(data.roles.map((r) => [r.code, r.name]));
  const roleChoices = data.roles.map((r) => ({ value: r.code, label: r.name }));

  return (
    <Stack>
      <Title order={2}>Users</Title>
      {manage && <InviteForm program={program} roles={roleChoices} onDone={reload} />}
      <ErrorNotice error={assignState.error ?? removeState.error ?? deactivateState.error} />
      {data.users.length === 0 ? <Empty>No staff users in this program yet.</Empty> : (
        <Table data-testid="users-table">
          <Table.Thead><Table.Tr><Table.Th>Person</Table.Th><Table.Th>Roles here</Table.Th><Table.Th>Status</Table.Th><Table.Th>Last sign-in</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {data.users.map((u) => (
              <Table.Tr key={u.id} data-email={u.email}>
                <Table.Td><Text fw={600}>{u.displayName || u.email}</Text><Text size="xs" c="dimmed">{u.email}{u.totpEnabled ? " · 2FA" : ""}</Text></Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {u.roles.filter((r) => r.program === program).map((r) => (
                      <Badge key={`${r.role}-${r.store ?? ""}`} variant="light" rightSection={manage && u.status === "active" ? (
                        <CloseButton size="xs" aria-label={`Remove ${roleNames[r.role] ?? r.role}`}
                          onClick={async () => { await remove({ input: { program, userId: u.id, role: r.role } }); reload(); }} />
                      ) : null}>
                        {roleNames[r.role] ?? r.role}{r.store ? ` @ ${r.store}` : ""}
                      </Badge>
                    ))}
                    {manage && u.status === "active" && (
                      <Select size="xs" w={170} placeholder="Add a role" aria-label={`Add a role to ${u.email}`} data={roleChoices}
                        value={adding[u.id] ?? null}
                        onChange={async (role) => {
                          if (!role) return;
                          setAdding({ ...adding, [u.id]: role });
                          await assign({ input: { program, userId: u.id, role } });
                          setAdding({ ...adding, [u.id]: null });
                          reload();
                        }} />
                    )}
                  </Group>
                </Table.Td>
                <Table.Td><Badge color={u.status === "active" ? "teal" : "gray"} variant="light">{u.status}</Badge></Table.Td>
                <Table.Td>{u.lastSignInAt?.slice(0, 16).replace("T", " ") ?? "never"}</Table.Td>
                <Table.Td>
                  {manage && u.status === "active" && (
                    <Button size="xs" color="red" variant="light" onClick={async () => {
                      if (!window.confirm(`Deactivate ${u.email}? Their sessions end at once.`)) return;
                      await deactivate({ input: { program, userId: u.id } });
                      reload();
                    }}>Deactivate</Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function InviteForm({ program, roles, onDone }: { program: string; roles: { value: string; label: string }[]; onDone: () => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<string | null>(null);
  const [store, setStore] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [{ fetching, error }, invite] = useMutation(Invite);
  return (
    <Card withBorder component="form" onSubmit={async (e: React.FormEvent) => {
      e.preventDefault();
      if (fetching || !role) return;
      const r = await invite({ input: { program, email, role, store: store || null } });
      if (!r.data) return;
      setSent(r.data.inviteUser.expiresAt ? `Invitation mailed to ${email}; the link works once, for 72 hours.`
        : `${email} already has an account: the role was added and a notice mailed.`);
      setEmail(""); setStore("");
      onDone();
    }}>
      <Group align="end">
        <TextInput label="Invite by email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value.trim())} required w={260} />
        <Select label="Role" data={roles} value={role} onChange={setRole} required w={200} />
        <TextInput label="Store (optional)" description="Limits the role to one location" value={store} onChange={(e) => setStore(e.currentTarget.value.trim())} w={170} />
        <Button type="submit" loading={fetching} disabled={!role}>Send invitation</Button>
      </Group>
      {sent && <Text size="sm" mt="sm" data-testid="invite-sent">{sent}</Text>}
      <ErrorNotice error={error} />
    </Card>
  );
}
