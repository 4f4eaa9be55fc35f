import { Alert, Badge, Button, Card, Code, CopyButton, Group, MultiSelect, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { useGrants } from "../../session";

const Keys = graphql(`
  query ProgramApiKeys($program: String!, $includeRevoked: Boolean!) {
    apiKeys(program: $program, includeRevoked: $includeRevoked) { keyId name scopes createdBy createdAt revokedAt expiresAt lastUsedAt rotatedTo }
  }
`);
const Create = graphql(`
  mutation CreateProgramApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { keyId apiKey } }
`);
const Rotate = graphql(`
  mutation RotateProgramApiKey($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { keyId apiKey } }
`);
const Revoke = graphql(`
  mutation RevokeProgramApiKey($input: ApiKeyInput!) { revokeApiKey(input: $input) { keyId revokedAt } }
`);

// A new key's secret, shown this once.
function Secret({ secret, onClose }: { secret: { keyId: string; apiKey: string }; onClose: () => void }) {
  return (
    <Alert color="yellow" title="Copy the key now: it is not shown again" withCloseButton closeButtonLabel="Close" onClose={onClose} data-testid="new-key">
      <Group>
        <Code data-testid="new-key-secret">{secret.apiKey}</Code>
        <CopyButton value={secret.apiKey}>{({ copied, copy }) => <Button size="xs" variant="default" onClick={copy}>{copied ? "Copied" : "Copy"}</Button>}</CopyButton>
      </Group>
    </Alert>
  );
}

// The program's API keys (tills, apps, partners): create, rotate with a grace period, revoke at once.
export default function ApiKeys() {
  const program = useProgram();
  const grants = useGrants();
  const [showRevoked, setShowRevoked] = useState(false);
  const [{ data, error, fetching }, refetch] = useQuery({ query: Keys, variables: { program, includeRevoked: showRevoked }, pause: !program });
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([]);
  const [secret, setSecret] = useState<{ keyId: string; apiKey: string } | null>(null);
  const [createState, create] = useMutation(Create);
  const [rotateState, rotate] = useMutation(Rotate);
  const [revokeState, revoke] = useMutation(Revoke);
  const reload = () => refetch({ requestPolicy: "network-only" });
  // A key may be given only powers its creator holds here (the API refuses more).
  const grantable = grants.permissions.includes("*") ? [] : grants.permissions.filter((p) => p !== "program.manage_api_keys");

  return (
    <Stack>
      <Title order={2}>API keys</Title>
      {secret && <Secret secret={secret} onClose={() => setSecret(null)} />}
      <Card withBorder component="form" onSubmit={async (e: React.FormEvent) => {
        e.preventDefault();
        if (createState.fetching) return;
        const r = await create({ input: { program, name, scopes: scopes.length ? scopes : null } });
        if (r.data) { setSecret(r.data.createApiKey); setName(""); setScopes([]); reload(); }
      }}>
        <Group align="end">
          <TextInput label="New key's name" placeholder="Till 3, Madrid Centro" value={name} onChange={(e) => setName(e.currentTarget.value)} required w={260} />
          <MultiSelect label="Scopes" description="Empty: the till's usual powers" data={grantable} value={scopes} onChange={setScopes} searchable clearable w={360} />
          <Button type="submit" loading={createState.fetching}>Create key</Button>
        </Group>
        <ErrorNotice error={createState.error} />
      </Card>
      <Switch label="Show revoked keys" checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} />
      <ErrorNotice error={error ?? rotateState.error ?? revokeState.error} />
      {fetching && !data && <Loading />}
      {data && data.apiKeys.length === 0 && <Empty>No API keys.</Empty>}
      {data && data.apiKeys.length > 0 && (
        <Table data-testid="keys-table">
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Key id</Table.Th><Table.Th>Scopes</Table.Th><Table.Th>Last used</Table.Th><Table.Th>State</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {data.apiKeys.map((k) => (
              <Table.Tr key={k.keyId} data-key-id={k.keyId}>
                <Table.Td>{k.name}<Text size="xs" c="dimmed">by {k.createdBy}, {k.createdAt.slice(0, 10)}</Text></Table.Td>
                <Table.Td><Code>{k.keyId}</Code></Table.Td>
                <Table.Td><Text size="xs">{k.scopes.join(", ")}</Text></Table.Td>
                <Table.Td>{k.lastUsedAt?.slice(0, 16).replace("T", " ") ?? "never"}</Table.Td>
                <Table.Td>
                  {k.revokedAt ? <Badge color="red" variant="light">revoked</Badge>
                    : k.expiresAt ? <Badge color="yellow" variant="light">rotated, valid until {k.expiresAt.slice(0, 16).replace("T", " ")}</Badge>
                    : <Badge color="teal" variant="light">active</Badge>}
                </Table.Td>
                <Table.Td>
                  {!k.revokedAt && (
                    <Group gap="xs" wrap="nowrap">
                      {!k.expiresAt && (
                        <Button size="xs" variant="default" onClick={async () => {
                          if (!window.confirm(`Rotate "${k.name}"? The old key keeps working for 24 hours.`)) return;
                          const r = await rotate({ input: { program, keyId: k.keyId } });
                          if (r.data) { setSecret(r.data.rotateApiKey); reload(); }
                        }}>Rotate</Button>
                      )}
                      <Button size="xs" color="red" variant="light" onClick={async () => {
                        if (!window.confirm(`Revoke "${k.name}"? Every request with it is refused at once.`)) return;
                        await revoke({ input: { program, keyId: k.keyId } });
                        reload();
                      }}>Revoke</Button>
                    </Group>
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
