import { Button, Card, Group, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { ErrorNotice } from "../errors";
import { Loading } from "./States";

const Windows = graphql(`query TierFreezeWindows($program: String!) { tierFreezeWindows(program: $program) { id startsOn endsOn reason createdBy } }`);
const Add = graphql(`mutation AddTierFreezeWindow($input: AddTierFreezeWindowInput!) { addTierFreezeWindow(input: $input) { id } }`);
const Remove = graphql(`mutation RemoveTierFreezeWindow($input: RemoveTierFreezeWindowInput!) { removeTierFreezeWindow(input: $input) }`);

// Windows in which no member is downgraded (a closure, a pandemic): listed, added and removed here.
export function FreezeWindows({ program, canManage }: { program: string; canManage: boolean }) {
  const [r, refetch] = useQuery({ query: Windows, variables: { program }, pause: !program });
  const [addState, add] = useMutation(Add);
  const [removeState, remove] = useMutation(Remove);
  const [v, setV] = useState({ startsOn: "", endsOn: "", reason: "" });
  const reload = () => refetch({ requestPolicy: "network-only" });
  return (
    <Card withBorder data-testid="freeze-windows">
      <Title order={4} mb="sm">Freeze windows (no downgrades)</Title>
      <ErrorNotice error={r.error ?? addState.error ?? removeState.error} />
      {!r.data && r.fetching && <Loading />}
      {r.data && r.data.tierFreezeWindows.length === 0 && <Text c="dimmed" data-testid="no-freeze-windows">No freeze windows.</Text>}
      {r.data && r.data.tierFreezeWindows.length > 0 && (
        <Table>
          <Table.Tbody>
            {r.data.tierFreezeWindows.map((w) => (
              <Table.Tr key={w.id}>
                <Table.Td>{w.startsOn} → {w.endsOn}</Table.Td><Table.Td>{w.reason}</Table.Td><Table.Td>{w.createdBy}</Table.Td>
                <Table.Td>{canManage && <Button size="xs" variant="default" onClick={async () => { if (!(await remove({ input: { program, id: w.id } })).error) reload(); }}>Remove</Button>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canManage && (
        <Group mt="sm" align="flex-end" component="form" onSubmit={async (e: React.FormEvent) => {
          e.preventDefault();
          if (!(await add({ input: { program, ...v } })).error) { setV({ startsOn: "", endsOn: "", reason: "" }); reload(); }
        }}>
          <TextInput type="date" label="Starts on" required value={v.startsOn} onChange={(e) => setV({ ...v, startsOn: e.currentTarget.value })} />
          <TextInput type="date" label="Ends on" required value={v.endsOn} onChange={(e) => setV({ ...v, endsOn: e.currentTarget.value })} />
          <TextInput label="Freeze reason" required value={v.reason} onChange={(e) => setV({ ...v, reason: e.currentTarget.value })} />
          <Button type="submit" loading={addState.fetching}>Add window</Button>
        </Group>
      )}
    </Card>
  );
}
