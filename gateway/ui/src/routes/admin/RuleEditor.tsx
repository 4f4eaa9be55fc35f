import {
  ActionIcon, Alert, Badge, Button, Card, Code, Group, Modal, NumberInput, Select, SimpleGrid, Stack, Table, Tabs, Text,
  TextInput, Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useParams } from "@tanstack/react-router";
import { useEffect, useMemo, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { useProgram } from "../../components/ProgramScope";
import { Empty, Loading } from "../../components/States";
import { ActionEditor } from "../../rules/ActionEditor";
import { ConditionBuilder } from "../../rules/ConditionBuilder";
import { emptyValues, fieldsOf, fromJsonLogic, type Vocabulary } from "../../rules/jsonlogic";
import { can, useGrants } from "../../session";

const EditorData = graphql(`
  query RuleEditorData($program: String!) {
    ruleVocabulary(program: $program) {
      variables { name type label description values }
      itemFields { name type label description values }
      operators { name label types }
      ruleTypes modes
      actionFields { ruleType name type choices }
    }
  }
`);
const RuleSetQuery = graphql(`
  query RuleSetForEditor($program: String!, $code: String!) {
    ruleSet(program: $program, code: $code) {
      code name scope scopeRef publishedVersion draftVersion draftRules publishedRules
      versions { version status createdAt publishedAt publishedBy rules }
    }
  }
`);
const Validate = graphql(`
  query ValidateDraft($program: String!, $rules: JSON!) {
    validateRules(program: $program, rules: $rules) { valid problems { rule field message } }
  }
`);
const DryRun = graphql(`
  query DryRunDraft($input: DryRunEarnInput!) {
    dryRunEarn(input: $input) {
      points publishedPoints
      breakdown { rule ruleVersion points description }
      publishedBreakdown { rule ruleVersion points description }
    }
  }
`);
const Replay = graphql(`
  query ReplayDraft($program: String!, $code: String!, $days: Int!) {
    replayDraft(program: $program, ruleSetCode: $code, days: $days) {
      transactions publishedPoints draftPoints pointsDifference membersAffected truncated
    }
  }
`);
const Save = graphql(`
  mutation SaveRuleSetDraft($input: SaveRuleSetInput!) { saveRuleSet(input: $input) { code draftVersion } }
`);
const Publish = graphql(`
  mutation PublishRuleSet($program: String!, $code: String!, $draftVersion: Int) {
    publishRuleSet(program: $program, code: $code, draftVersion: $draftVersion) { code publishedVersion }
  }
`);

interface RuleDoc { code: string; name?: string; type?: string; mode?: string; priority?: number; condition?: unknown; action: Record<string, unknown>; description?: string }
let keySeq = 0;
interface Keyed { key: number; rule: RuleDoc }

function keyed(rules: unknown): Keyed[] {
  return (Array.isArray(rules) ? (rules as RuleDoc[]) : []).map((rule) => ({ key: ++keySeq, rule }));
}

export default function RuleEditor() {
  const program = useProgram();
  const grants = useGrants();
  const client = useClient();
  const { code } = useParams({ from: "/staff/admin/rules/$code" });
  const [{ data: vocab, error: vocabError }] = useQuery({ query: EditorData, variables: { program }, pause: !program });
  const [{ data: setData, error: setError, fetching }, refetchSet] = useQuery({ query: RuleSetQuery, variables: { program, code }, pause: !program, requestPolicy: "network-only" });
  const isNew = setError?.graphQLErrors.some((e) => e.extensions?.code === "NOT_FOUND") ?? false;
  const ruleSet = setData?.ruleSet;

  const [rules, setRules] = useState<Keyed[] | null>(null);
  const [name, setName] = useState("");
  useEffect(() => {
    if (rules !== null) return;
    if (ruleSet) { setRules(keyed(ruleSet.draftRules ?? ruleSet.publishedRules ?? [])); setName(ruleSet.name); }
    else if (isNew) setRules([]);
  }, [ruleSet, isNew, rules]);

  const fields = useMemo(() => (vocab ? fieldsOf(vocab.ruleVocabulary as unknown as Vocabulary) : []), [vocab]);
  const doc = useMemo(() => (rules ?? []).map((k) => k.rule), [rules]);
  const [debounced] = useDebouncedValue(doc, 300);
  const [{ data: validation }] = useQuery({ query: Validate, variables: { program, rules: debounced }, pause: !program || rules === null });
  const empties = (rules ?? []).flatMap((k) => emptyValues(fromJsonLogic(k.rule.condition, fields)).map((f) => `${k.rule.code}: ${f} needs a value`));

  const [saveState, save] = useMutation(Save);
  const [publishState, publish] = useMutation(Publish);
  const [confirming, setConfirming] = useState(false);
  const [shownVersion, setShownVersion] = useState<number | null>(null);

  if (vocabError) return <ErrorNotice error={vocabError} />;
  if (setError && !isNew) return <ErrorNotice error={setError} />;
  if (!vocab || rules === null || (fetching && !ruleSet && !isNew)) return <Loading />;
  const v = vocab.ruleVocabulary;
  const update = (key: number, patch: Partial<RuleDoc>) => setRules(rules.map((k) => (k.key === key ? { key, rule: { ...k.rule, ...patch } } : k)));
  const problems = validation?.validateRules.problems ?? [];
  const canManage = can(grants, "rules.manage");
  const canPublish = can(grants, "rules.publish");

  const saveDraft = async () => {
    const r = await save({ input: { program, code, name: name || null, rules: doc } });
    if (!r.error) refetchSet({ requestPolicy: "network-only" });
    return r;
  };

  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>Rule set {code}</Title>
          <Group gap="xs">
            {ruleSet?.publishedVersion ? <Badge>published v{ruleSet.publishedVersion}</Badge> : <Badge color="gray">never published</Badge>}
            {ruleSet?.draftVersion ? <Badge variant="light" data-testid="draft-version">draft v{ruleSet.draftVersion}</Badge> : null}
            <Badge color={problems.length || empties.length ? "red" : "teal"} variant="outline" data-testid="validity">
              {problems.length || empties.length ? `${problems.length + empties.length} problem(s)` : "valid"}
            </Badge>
          </Group>
        </div>
        <Group>
          {canManage && <Button variant="default" onClick={saveDraft} loading={saveState.fetching} data-testid="save-draft">Save draft</Button>}
          {canPublish && (
            <Button onClick={() => setConfirming(true)} disabled={!ruleSet?.draftVersion} data-testid="publish">Publish</Button>
          )}
        </Group>
      </Group>
      <ErrorNotice error={saveState.error} />
      <ErrorNotice error={publishState.error} />
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Publish this draft?">
        <Text mb="md">Draft v{ruleSet?.draftVersion} becomes the next version of {code} and applies to every earn from now on.</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setConfirming(false)}>Cancel</Button>
          <Button
            data-testid="confirm-publish" loading={publishState.fetching}
            onClick={async () => {
              const r = await publish({ program, code, draftVersion: ruleSet?.draftVersion ?? null });
              setConfirming(false);
              if (!r.error) refetchSet({ requestPolicy: "network-only" });
            }}
          >
            Publish
          </Button>
        </Group>
      </Modal>
      <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} maw={400} />
      {(problems.length > 0 || empties.length > 0) && (
        <Alert color="red" title="Problems" data-testid="problems">
          {empties.map((p) => <Text key={p} size="sm">{p}</Text>)}
          {problems.map((p, i) => <Text key={i} size="sm">rule {p.rule} {p.field}: {p.message}</Text>)}
        </Alert>
      )}
      <Tabs defaultValue="rules">
        <Tabs.List>
          <Tabs.Tab value="rules">Rules</Tabs.Tab>
          <Tabs.Tab value="dry-run">Dry run</Tabs.Tab>
          <Tabs.Tab value="replay">Replay</Tabs.Tab>
          <Tabs.Tab value="versions">Versions</Tabs.Tab>
          <Tabs.Tab value="json">JSON</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="rules" pt="md">
          <Stack>
            {rules.length === 0 && <Empty>No rules yet.</Empty>}
            {rules.map(({ key, rule }, index) => (
              <Card withBorder key={key} data-testid={`rule-${index}`}>
                <Group align="end" mb="sm">
                  <TextInput label="Code" value={rule.code} onChange={(e) => update(key, { code: e.currentTarget.value })} w={180} data-testid={`rule-${index}-code`} />
                  <TextInput label="Name" value={rule.name ?? ""} onChange={(e) => update(key, { name: e.currentTarget.value || undefined })} w={220} />
                  <Select label="Type" data={v.ruleTypes} value={rule.type ?? "earn"} onChange={(t) => update(key, { type: t ?? "earn", action: {} })} w={120} allowDeselect={false} />
                  <Select label="Mode" data={v.modes} value={rule.mode ?? "stack"} onChange={(m) => update(key, { mode: m ?? "stack" })} w={120} allowDeselect={false} />
                  <NumberInput label="Priority" value={rule.priority ?? 0} onChange={(p) => update(key, { priority: Number(p) || 0 })} w={100} allowDecimal={false} />
                  <ActionIcon variant="default" aria-label={`Remove rule ${rule.code}`} onClick={() => setRules(rules.filter((k) => k.key !== key))}>×</ActionIcon>
                </Group>
                <Text fw={600} size="sm">When</Text>
                <ConditionBuilder fields={fields} value={rule.condition ?? null} onChange={(c) => update(key, { condition: c ?? undefined })} />
                <Text fw={600} size="sm" mt="sm">Then</Text>
                <ActionEditor fields={v.actionFields} ruleType={rule.type ?? "earn"} value={rule.action ?? {}} onChange={(a) => update(key, { action: a })} testPrefix={`rule-${index}-action`} />
              </Card>
            ))}
            {canManage && (
              <Button variant="default" w="fit-content" data-testid="add-rule-card"
                onClick={() => setRules([...rules, { key: ++keySeq, rule: { code: `rule-${rules.length + 1}`, type: "earn", action: {} } }])}>
                Add rule
              </Button>
            )}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="dry-run" pt="md"><DryRunPanel program={program} code={code} rules={doc} /></Tabs.Panel>
        <Tabs.Panel value="replay" pt="md"><ReplayPanel program={program} code={code} saved={Boolean(ruleSet?.draftVersion)} client={client} /></Tabs.Panel>
        <Tabs.Panel value="versions" pt="md">
          {!ruleSet || ruleSet.versions.length === 0 ? <Empty>No versions yet: save a draft.</Empty> : (
            <Table data-testid="versions">
              <Table.Thead><Table.Tr><Table.Th>Version</Table.Th><Table.Th>Status</Table.Th><Table.Th>Created</Table.Th><Table.Th>Published</Table.Th><Table.Th>By</Table.Th><Table.Th /></Table.Tr></Table.Thead>
              <Table.Tbody>
                {ruleSet.versions.map((x) => (
                  <Table.Tr key={x.version}>
                    <Table.Td>v{x.version}</Table.Td><Table.Td>{x.status}</Table.Td><Table.Td>{x.createdAt.slice(0, 16)}</Table.Td>
                    <Table.Td>{x.publishedAt?.slice(0, 16) ?? "—"}</Table.Td><Table.Td>{x.publishedBy ?? ""}</Table.Td>
                    <Table.Td><Button size="xs" variant="subtle" onClick={() => setShownVersion(x.version)}>JSON</Button></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          {shownVersion !== null && <Code block mt="sm">{JSON.stringify(ruleSet?.versions.find((x) => x.version === shownVersion)?.rules, null, 2)}</Code>}
        </Tabs.Panel>
        <Tabs.Panel value="json" pt="md"><Code block data-testid="rules-json">{JSON.stringify(doc, null, 2)}</Code></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function DryRunPanel({ program, code, rules }: { program: string; code: string; rules: RuleDoc[] }) {
  const client = useClient();
  const [basket, setBasket] = useState({ amount: "100", channel: "pos", loyaltyNumber: "", sku: "", category: "", quantity: "1", price: "" });
  const [result, setResult] = useState<{ points: number; publishedPoints: number; breakdown: { rule: string; points: number; description: string }[] } | null>(null);
  const [error, setError] = useState<import("urql").CombinedError | undefined>();
  const set = (k: keyof typeof basket) => (e: React.ChangeEvent<HTMLInputElement>) => setBasket({ ...basket, [k]: e.currentTarget.value });
  return (
    <Stack component="form" onSubmit={async (e: React.FormEvent) => {
      e.preventDefault();
      const items = basket.sku ? [{ sku: basket.sku, category: basket.category || null, quantity: basket.quantity || null, price: basket.price || null }] : null;
      const r = await client.query(DryRun, { input: { program, amount: basket.amount, channel: basket.channel || null, loyaltyNumber: basket.loyaltyNumber || null, items, ruleSetCode: code, draftRules: rules } }, { requestPolicy: "network-only" }).toPromise();
      setError(r.error);
      setResult(r.data?.dryRunEarn ?? null);
    }}>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <TextInput label="Amount" value={basket.amount} onChange={set("amount")} data-testid="dry-amount" />
        <TextInput label="Channel" value={basket.channel} onChange={set("channel")} data-testid="dry-channel" />
        <TextInput label="Member (optional)" value={basket.loyaltyNumber} onChange={set("loyaltyNumber")} />
        <TextInput label="Item SKU" value={basket.sku} onChange={set("sku")} />
        <TextInput label="Item category" value={basket.category} onChange={set("category")} />
        <TextInput label="Quantity" value={basket.quantity} onChange={set("quantity")} />
        <TextInput label="Unit price" value={basket.price} onChange={set("price")} />
      </SimpleGrid>
      <Button type="submit" w="fit-content" data-testid="run-dry-run">Dry run</Button>
      <ErrorNotice error={error} />
      {result && (
        <Card withBorder data-testid="dry-run-result">
          <Text>Draft: <b data-testid="dry-run-points">{result.points}</b> points · published: {result.publishedPoints}</Text>
          <Table mt="xs">
            <Table.Tbody>
              {result.breakdown.map((b, i) => <Table.Tr key={i}><Table.Td>{b.rule}</Table.Td><Table.Td>{b.description}</Table.Td><Table.Td ta="right">{b.points}</Table.Td></Table.Tr>)}
            </Table.Tbody>
          </Table>
        </Card>
      )}
    </Stack>
  );
}

function ReplayPanel({ program, code, saved, client }: { program: string; code: string; saved: boolean; client: ReturnType<typeof useClient> }) {
  const [days, setDays] = useState<number | string>(30);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<{ transactions: number; publishedPoints: number; draftPoints: number; pointsDifference: number; membersAffected: number; truncated: boolean } | null>(null);
  const [error, setError] = useState<import("urql").CombinedError | undefined>();
  if (!saved) return <Empty>Save the draft to replay it over past earns.</Empty>;
  return (
    <Stack>
      <Group align="end">
        <NumberInput label="Last N days" value={days} onChange={setDays} min={1} max={365} w={140} />
        <Button loading={busy} data-testid="run-replay" onClick={async () => {
          setBusy(true);
          const r = await client.query(Replay, { program, code, days: Number(days) }, { requestPolicy: "network-only" }).toPromise();
          setBusy(false);
          setError(r.error);
          setReport(r.data?.replayDraft ?? null);
        }}>Replay draft</Button>
      </Group>
      <ErrorNotice error={error} />
      {report && (
        <Card withBorder data-testid="replay-result">
          <Text>{report.transactions} transactions{report.truncated ? " (truncated)" : ""}: published {report.publishedPoints} points, draft {report.draftPoints} points</Text>
          <Text fw={700}>Difference {report.pointsDifference > 0 ? "+" : ""}{report.pointsDifference} points for {report.membersAffected} members</Text>
        </Card>
      )}
    </Stack>
  );
}
