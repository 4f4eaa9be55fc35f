import {
  ActionIcon, Badge, Button, Card, Checkbox, Group, NumberInput, Paper, SimpleGrid, Stack,
  Table, Text, TextInput, Title,
} from "@mantine/core";
import { useParams } from "@tanstack/react-router";
import { ButtonLink } from "../../components/Links";
import { useHotkeys } from "@mantine/hooks";
import { memo, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { flushSync } from "react-dom";
import { type AnyVariables, type CombinedError, type TypedDocumentNode, useClient, useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { newReference, postOperation } from "../../client";
import type { TillMemberQuery } from "../../gql/graphql";
import { type Store, afterPaint, makeStore, usePainted } from "../../paint";
import { useProgram } from "../../components/ProgramScope";
import { Loading } from "../../components/States";
import { can, useGrants } from "../../session";

const TillMember = graphql(`
  query TillMember($program: String!, $number: String!) {
    program(program: $program) { currency }
    member(program: $program, loyaltyNumber: $number) {
      loyaltyNumber firstName lastName status
      points { availablePoints pendingPoints onHoldPoints nextExpiringPoints nextExpiryDate }
      tiers { slabCode tierName }
    }
  }
`);
const Earn = graphql(`
  mutation TillEarn($input: EarnInput!) {
    earn(input: $input) { transactionId oldBalance pointsEarned newBalance pending breakdown { rule points description } }
  }
`);
const Quote = graphql(`
  query TillQuote($input: DiscountQuoteInput!) {
    quoteDiscounts(input: $input) { grossAmount discountTotal netAmount lines { rule amount description } }
  }
`);
const RequestOtp = graphql(`
  mutation TillRequestOtp($input: RequestOtpInput!) { requestOtp(input: $input) { destination expiresAt } }
`);
const Redeem = graphql(`
  mutation TillRedeem($input: RedeemInput!) { redeem(input: $input) { transactionId points newBalance } }
`);
const Void = graphql(`
  mutation TillVoid($input: VoidInput!) { void(input: $input) { transactionId points newBalance } }
`);
const VoidOrder = graphql(`
  mutation TillVoidOrder($input: VoidOrderInput!) { voidOrder(input: $input) { newBalance claims { rewardCode status } } }
`);
const Goodwill = graphql(`
  mutation TillGoodwill($input: GoodwillInput!) { goodwill(input: $input) { transactionId points newBalance } }
`);
const RetroClaim = graphql(`
  mutation TillRetroClaim($input: RetroClaimInput!) { retroClaim(input: $input) { pointsEarned newBalance breakdown { rule points description } } }
`);

interface Result {
  title: string;
  reference: string;
  // The available balance the action left, from its own answer: the card shows it at once.
  balance?: number;
  lines: [string, string | number][];
  breakdown?: { rule: string; points: number; description: string }[];
}

type Action = "earn" | "redeem" | "void" | "goodwill" | "retro";
const ACTIONS: readonly (readonly [Action, string, string])[] = [
  ["earn", "Earn", "points.earn"], ["redeem", "Redeem", "points.redeem"], ["void", "Void", "points.void"],
  ["goodwill", "Goodwill", "points.goodwill"], ["retro", "Retro-claim", "points.earn"],
];

// The cashier's member card: one action at a time, each with its own reference (made when the form
// opens, kept across retries and double clicks), ending on a printable result screen.
export default function MemberCard() {
  const program = useProgram();
  const grants = useGrants();
  const { number } = useParams({ from: "/staff/till/$number" });
  const [{ data, error }, refetch] = useQuery({ query: TillMember, variables: { program, number }, pause: !program });
  // The available balance the last action answered: the card shows it in the result screen's own
  // commit (only its figure re-renders), until the card's refetch, sent once that frame is painted,
  // replaces the data it was read over.
  const [answered] = useState(() => makeStore<Answered | null>(null));
  const latest = useRef({ data, refetch });
  latest.current = { data, refetch };
  const onAnswer = useCallback((balance?: number) => {
    if (balance !== undefined) answered.set({ balance, over: latest.current.data });
    afterPaint(() => latest.current.refetch({ requestPolicy: "network-only" }));
  }, [answered]);
  const allowed = ACTIONS.filter(([, , p]) => can(grants, p)).map(([value]) => value).join(" ");
  const actions = useMemo(() => ACTIONS.filter(([value]) => allowed.split(" ").includes(value)), [allowed]);

  if (error && !data) return <ErrorNotice error={error} />;
  if (!data) return <Loading />;
  return (
    <Stack maw={820}>
      <Group justify="space-between">
        <ButtonLink to="/till" variant="subtle">← Next customer</ButtonLink>
      </Group>
      <Summary data={data} answered={answered} />
      <Desk program={program} number={number} currency={data.program.currency} actions={actions} onAnswer={onAnswer} />
    </Stack>
  );
}

interface Answered { balance: number; over: unknown }

const Summary = memo(function Summary({ data, answered }: { data: TillMemberQuery; answered: Store<Answered | null> }) {
  const m = data.member;
  return (
    <Card withBorder data-testid="member-card">
      <Group justify="space-between">
        <div>
          <Title order={3}>{m.firstName} {m.lastName}</Title>
          <Text c="dimmed">{m.loyaltyNumber}</Text>
        </div>
        <Group>
          <Badge size="lg" variant="light">{m.status}</Badge>
          {(m.tiers ?? []).map((t) => <Badge key={t.slabCode} size="lg" color="grape">{t.tierName}</Badge>)}
        </Group>
      </Group>
      <SimpleGrid cols={3} mt="md">
        <div><Text size="xs" c="dimmed">AVAILABLE</Text><Available data={data} answered={answered} /></div>
        <div><Text size="xs" c="dimmed">PENDING / HELD</Text><Text fw={700}>{m.points.pendingPoints} / {m.points.onHoldPoints}</Text></div>
        <div><Text size="xs" c="dimmed">EXPIRING NEXT</Text><Text fw={700}>{m.points.nextExpiryDate ? `${m.points.nextExpiringPoints} on ${m.points.nextExpiryDate.slice(0, 10)}` : "—"}</Text></div>
      </SimpleGrid>
    </Card>
  );
});

function Available({ data, answered }: { data: TillMemberQuery; answered: Store<Answered | null> }) {
  const shown = useSyncExternalStore(answered.subscribe, answered.get);
  return <Text fw={700} size="xl" data-testid="till-balance">{shown && shown.over === data ? shown.balance : data.member.points.availablePoints}</Text>;
}

// The actions and their result. The result screen's commit changes only what the cashier must see:
// the form is hidden, not torn down (it is replaced, under a fresh reference, by "New action"), and
// the card above re-renders only its balance.
const Desk = memo(function Desk({ program, number, currency, actions, onAnswer }: {
  program: string; number: string; currency: string; actions: typeof ACTIONS; onAnswer: (balance?: number) => void;
}) {
  const [action, setAction] = useState<Action>("earn");
  const [reference, setReference] = useState(() => newReference("till"));
  const [result, setResult] = useState<Result | null>(null);

  // The result screen commits in the answer's own task (not a scheduler turn later).
  const finished = useCallback((r: Result) => {
    flushSync(() => {
      setResult(r);
      onAnswer(r.balance);
    });
  }, [onAnswer]);
  const next = () => {
    setResult(null);
    setReference(newReference("till"));
  };
  const pick = (value: Action) => {
    if (value !== action) setReference(newReference("till"));
    setAction(value);
  };
  // Alt+1..5 switch the action without the mouse.
  useHotkeys(ACTIONS.map(([value], i) => [`alt+${i + 1}`, () => { if (!result) pick(value); }] as [string, () => void]), []);

  const props = { program, number, reference, onDone: finished };
  const forms = useMemo(() => (
    <>
      <Group gap="xs">
        {actions.map(([value, label], i) => (
          <Button
            key={value} size="md" variant={value === action ? "filled" : "default"} aria-pressed={value === action}
            data-testid={`action-${value}`} title={`Alt+${i + 1}`} onClick={() => pick(value)}
          >
            {label}
          </Button>
        ))}
      </Group>
      {action === "earn" && <EarnForm key={reference} {...props} currency={currency} />}
      {action === "redeem" && <RedeemForm key={reference} {...props} />}
      {action === "void" && <VoidForm key={reference} {...props} />}
      {action === "goodwill" && <GoodwillForm key={reference} {...props} />}
      {action === "retro" && <RetroForm key={reference} {...props} currency={currency} />}
    </>
  // eslint-disable-next-line react-hooks/exhaustive-deps -- pick and props are made of these
  ), [actions, action, reference, program, number, currency, finished]);

  return (
    <>
      <Stack style={result ? { display: "none" } : undefined}>{forms}</Stack>
      {result && <ResultScreen result={result} onNext={next} />}
    </>
  );
});

function ResultScreen({ result, onNext }: { result: Result; onNext: () => void }) {
  const nextButton = useRef<HTMLButtonElement>(null);
  // The focus (a style and layout pass of its own) and the printable breakdown once the result is
  // on screen.
  const painted = usePainted();
  useEffect(() => { if (painted) nextButton.current?.focus(); }, [painted]);
  return (
    <Paper withBorder p="lg" data-testid="till-result">
      <Title order={3} mb="sm">{result.title}</Title>
      <Table>
        <Table.Tbody>
          {result.lines.map(([k, v]) => (
            <Table.Tr key={k}><Table.Td>{k}</Table.Td><Table.Td fw={700} data-testid={`result-${k.toLowerCase().replace(/\s+/g, "-")}`}>{v}</Table.Td></Table.Tr>
          ))}
          <Table.Tr><Table.Td>Reference</Table.Td><Table.Td>{result.reference}</Table.Td></Table.Tr>
        </Table.Tbody>
      </Table>
      {painted && result.breakdown && result.breakdown.length > 0 && (
        <Table mt="sm" data-testid="result-breakdown">
          <Table.Thead><Table.Tr><Table.Th>Rule</Table.Th><Table.Th>Why</Table.Th><Table.Th ta="right">Points</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {result.breakdown.map((b, i) => (
              <Table.Tr key={i}><Table.Td>{b.rule}</Table.Td><Table.Td>{b.description}</Table.Td><Table.Td ta="right">{b.points}</Table.Td></Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group mt="md" className="no-print">
        <Button ref={nextButton} onClick={onNext}>New action</Button>
        <Button variant="default" onClick={() => window.print()}>Print</Button>
      </Group>
    </Paper>
  );
}

const BUSY_AFTER_MS = 150;

interface FormProps { program: string; number: string; reference: string; onDone: (r: Result) => void }
interface Line { sku: string; category: string; quantity: string; price: string }

// Every till form: one submit at a time (a double Enter posts once; the reference makes a retry safe
// too), then the result screen once the platform answers. The request leaves from the submit handler
// itself, before anything re-renders (a state set there would re-render the form first, at the end of
// the event).
function useTillAction<Data, Vars extends AnyVariables>(
  doc: TypedDocumentNode<Data, Vars>, onDone: (r: Result) => void, toResult: (data: Data) => Result | null | undefined,
) {
  const sending = useRef(false);
  const [fetching, setFetching] = useState(false);
  const [error, setError] = useState<CombinedError | undefined>();
  const submit = (variables: () => Vars) => async (e: React.FormEvent) => {
    e.preventDefault();
    if (sending.current) return;
    sending.current = true;
    const answer = postOperation(doc, variables());
    // Busy is shown only for a slow answer: a spinner flashing for a quick one is noise, and its render
    // and animation frames would hold up handling the answer (and take CPU from a till's small machine).
    const busy = setTimeout(() => { if (sending.current) { setError(undefined); setFetching(true); } }, BUSY_AFTER_MS);
    const r = await answer;
    clearTimeout(busy);
    sending.current = false;
    setFetching(false);
    setError(r.error);
    const result = r.data ? toResult(r.data) : null;
    if (result) onDone(result);
  };
  return { fetching, error, submit };
}

function EarnForm({ program, number, currency, reference, onDone }: FormProps & { currency: string }) {
  const client = useClient();
  const [amount, setAmount] = useState("");
  const [lines, setLines] = useState<Line[]>([]);
  const [quote, setQuote] = useState<string | null>(null);
  const [quoteError, setQuoteError] = useState<CombinedError | undefined>();
  const { fetching, error, submit } = useTillAction(Earn, onDone, ({ earn: p }) => ({
    title: p.pending ? "Points pending" : "Points earned", reference,
    lines: [["Points earned", p.pointsEarned], ["Old balance", p.oldBalance], ["New balance", p.newBalance], ["Order", reference]],
    balance: p.newBalance,
    breakdown: p.breakdown,
  }));
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const items = lines.filter((l) => l.sku).map((l) => ({ sku: l.sku, category: l.category || null, quantity: l.quantity || null, price: l.price || null }));

  const runQuote = async () => {
    const r = await client.query(Quote, { input: { program, amount, currency, loyaltyNumber: number, items, channel: "pos" } }, { requestPolicy: "network-only" }).toPromise();
    setQuoteError(r.error);
    const q = r.data?.quoteDiscounts;
    setQuote(q ? `Discount ${q.discountTotal} ${currency}; pay ${q.netAmount} ${currency}${q.lines.map((l) => ` · ${l.description}`).join("")}` : null);
  };

  return (
    <Stack
      component="form"
      onSubmit={submit(() => ({ input: { program, loyaltyNumber: number, amount, currency, reference, orderReference: reference, channel: "pos", items: items.length ? items : null } }))}
    >
      <TextInput ref={first} size="xl" label={`Amount (${currency})`} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.currentTarget.value.replace(",", "."))} data-testid="earn-amount" required />
      <Text fw={600}>Basket lines (optional)</Text>
      {lines.map((l, i) => (
        <Group key={i} wrap="nowrap">
          {(["sku", "category", "quantity", "price"] as const).map((k) => (
            <TextInput key={k} placeholder={k} aria-label={`${k} ${i + 1}`} value={l[k]} onChange={(e) => { const v = e.currentTarget.value; setLines(lines.map((x, j) => (j === i ? { ...x, [k]: v } : x))); }} />
          ))}
          <ActionIcon variant="default" aria-label="Remove line" onClick={() => setLines(lines.filter((_, j) => j !== i))}>×</ActionIcon>
        </Group>
      ))}
      <Group>
        <Button variant="default" onClick={() => setLines([...lines, { sku: "", category: "", quantity: "1", price: "" }])}>Add line</Button>
        <Button variant="default" onClick={runQuote} disabled={!amount}>Quote discounts</Button>
      </Group>
      {quote && <Text data-testid="quote">{quote}</Text>}
      <ErrorNotice error={quoteError} />
      <ErrorNotice error={error} />
      <Button type="submit" size="xl" loading={fetching} data-testid="earn-submit">Earn points</Button>
    </Stack>
  );
}

function RedeemForm({ program, number, reference, onDone }: FormProps) {
  const [sent, setSent] = useState<string | null>(null);
  const [points, setPoints] = useState<number | string>("");
  const [otp, setOtp] = useState("");
  const [otpState, requestOtp] = useMutation(RequestOtp);
  const { fetching, error, submit } = useTillAction(Redeem, onDone, ({ redeem: p }) => (
    { title: "Points redeemed", reference, lines: [["Points redeemed", Math.abs(p.points)], ["New balance", p.newBalance]], balance: p.newBalance }
  ));
  return (
    <Stack
      component="form"
      onSubmit={submit(() => ({ input: { program, loyaltyNumber: number, points: Number(points), otp, reference } }))}
    >
      <NumberInput size="xl" label="Points to redeem" value={points} onChange={setPoints} allowDecimal={false} allowNegative={false} min={1} required data-testid="redeem-points" />
      <Group align="end">
        <Button
          variant="default" size="lg" loading={otpState.fetching}
          onClick={async () => {
            const r = await requestOtp({ input: { program, loyaltyNumber: number } });
            if (r.data) setSent(r.data.requestOtp.destination);
          }}
        >
          Send passcode to member
        </Button>
        {sent && <Text data-testid="otp-sent">Sent to {sent}</Text>}
      </Group>
      <ErrorNotice error={otpState.error} />
      <TextInput size="xl" label="Member's passcode" value={otp} onChange={(e) => setOtp(e.currentTarget.value.trim())} inputMode="numeric" autoComplete="one-time-code" data-testid="redeem-otp" />
      <ErrorNotice error={error} />
      <Button type="submit" size="xl" loading={fetching} data-testid="redeem-submit">Redeem</Button>
    </Stack>
  );
}

function VoidForm({ program, number, reference, onDone }: FormProps) {
  const [target, setTarget] = useState("");
  const [wholeOrder, setWholeOrder] = useState(true);
  const [reason, setReason] = useState("");
  // One void by order reference: the order's earns and redemptions, and its reward claims given back.
  const orderState = useTillAction(VoidOrder, onDone, ({ voidOrder: p }) => (
    { title: "Order voided", reference: target, lines: [["Claims given back", p.claims.length], ["New balance", p.newBalance]], balance: p.newBalance }
  ));
  const voidState = useTillAction(Void, onDone, ({ void: p }) => (
    { title: "Transaction voided", reference, lines: [["Points reversed", p.points], ["New balance", p.newBalance]], balance: p.newBalance }
  ));
  const busy = voidState.fetching || orderState.fetching;
  return (
    <Stack
      component="form"
      onSubmit={wholeOrder
        ? orderState.submit(() => ({ input: { program, orderReference: target, reason: reason || null } }))
        : voidState.submit(() => ({ input: { program, reference, targetReference: target, reason: reason || null, loyaltyNumber: number } }))}
    >
      <TextInput size="xl" label="Order or transaction reference" value={target} onChange={(e) => setTarget(e.currentTarget.value.trim())} required data-testid="void-target" />
      <Checkbox label="Void the whole order (its reward claims too)" checked={wholeOrder} onChange={(e) => setWholeOrder(e.currentTarget.checked)} />
      <TextInput label="Reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
      <ErrorNotice error={orderState.error} />
      <ErrorNotice error={voidState.error} />
      <Button type="submit" size="xl" color="red" loading={busy} data-testid="void-submit">Void</Button>
    </Stack>
  );
}

function GoodwillForm({ program, number, reference, onDone }: FormProps) {
  const [points, setPoints] = useState<number | string>("");
  const [reason, setReason] = useState("service_recovery");
  const { fetching, error, submit } = useTillAction(Goodwill, onDone, ({ goodwill: p }) => (
    { title: "Goodwill granted", reference, lines: [["Points", p.points], ["New balance", p.newBalance]], balance: p.newBalance }
  ));
  return (
    <Stack
      component="form"
      onSubmit={submit(() => ({ input: { program, loyaltyNumber: number, points: Number(points), reason, reference } }))}
    >
      <NumberInput size="xl" label="Points" value={points} onChange={setPoints} allowDecimal={false} allowNegative={false} min={1} required />
      <TextInput label="Reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} required />
      <ErrorNotice error={error} />
      <Button type="submit" size="xl" loading={fetching}>Grant goodwill</Button>
    </Stack>
  );
}

function RetroForm({ program, number, currency, onDone }: FormProps & { currency: string }) {
  const [receipt, setReceipt] = useState("");
  const [amount, setAmount] = useState("");
  const [date, setDate] = useState("");
  // The receipt is the idempotency reference here: one claim per receipt.
  const { fetching, error, submit } = useTillAction(RetroClaim, onDone, ({ retroClaim: p }) => (
    { title: "Retro-claim posted", reference: receipt, lines: [["Points earned", p.pointsEarned], ["New balance", p.newBalance]], breakdown: p.breakdown, balance: p.newBalance }
  ));
  return (
    <Stack
      component="form"
      onSubmit={submit(() => ({ input: { program, loyaltyNumber: number, receiptReference: receipt, amount, currency, purchasedAt: date } }))}
    >
      <TextInput size="lg" label="Receipt reference" value={receipt} onChange={(e) => setReceipt(e.currentTarget.value.trim())} required />
      <TextInput size="lg" label={`Amount (${currency})`} value={amount} onChange={(e) => setAmount(e.currentTarget.value.replace(",", "."))} required />
      <TextInput size="lg" label="Purchase date" type="date" value={date} onChange={(e) => setDate(e.currentTarget.value)} required />
      <ErrorNotice error={error} />
      <Button type="submit" size="xl" loading={fetching}>Claim</Button>
    </Stack>
  );
}
