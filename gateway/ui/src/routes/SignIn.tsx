import { Alert, Anchor, Button, Center, Divider, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { ErrorNotice } from "../errors";
import { asBearer, startSession, type Tokens } from "../auth";
import { grantsOf, can, setSession } from "../session";
import { AnchorLink } from "../components/Links";

const SignInMutation = graphql(`
  mutation StaffSignIn($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken expiresAt mfaRequired } }
`);
const Viewer = graphql(`
  query SignedInViewer { me { subject displayName programs { code name } } }
`);

// Where a signed-in person lands: the screen they asked for, else the one their role works in.
export function landing(next: string | undefined, program: string, accessToken: string): string {
  if (next && next.startsWith("/") && !next.startsWith("//")) return next;
  const grants = grantsOf({ kind: "staff", accessToken, program });
  return can(grants, "points.report") || !can(grants, "points.earn") ? "/admin" : "/till";
}

// The program a new session opens in: the last one used here if the person still has it, else their first.
export async function firstProgram(tokens: Tokens): Promise<string> {
  const r = await asBearer(tokens.accessToken!).query(Viewer, {}).toPromise();
  const codes = (r.data?.me.programs ?? []).map((p) => p.code);
  const last = localStorage.getItem("loyalty.lastProgram");
  return last && codes.includes(last) ? last : (codes[0] ?? "");
}

export default function SignIn() {
  const navigate = useNavigate();
  const { next } = useSearch({ from: "/sign-in" });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [needsTotp, setNeedsTotp] = useState(false);
  const [{ fetching, error }, signIn] = useMutation(SignInMutation);
  const [devSignIn, setDevSignIn] = useState(false);

  useEffect(() => {
    fetch("/ui-config.json").then((r) => r.json()).then((c) => setDevSignIn(Boolean(c.devSignIn))).catch(() => {});
  }, []);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (fetching) return;
    const r = await signIn({ input: { email, password, totpCode: needsTotp ? totp : null } });
    const t = r.data?.signIn;
    if (!t) return;
    if (t.mfaRequired && !t.accessToken) return setNeedsTotp(true);
    const program = await firstProgram(t);
    startSession(t, { kind: "staff", program });
    navigate({ to: landing(next, program, t.accessToken!) });
  };

  return (
    <Center mih="100vh" p="md">
      <Stack w={380}>
        <Paper withBorder p="xl" component="form" onSubmit={submit}>
          <Stack>
            <Title order={2}>Sign in</Title>
            <TextInput label="Email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.currentTarget.value.trim())} required autoFocus />
            <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required />
            {needsTotp && (
              <TextInput label="Authenticator code" description="Or one of your recovery codes" autoComplete="one-time-code"
                value={totp} onChange={(e) => setTotp(e.currentTarget.value.trim())} required autoFocus data-testid="totp" />
            )}
            <ErrorNotice error={error} />
            <Button type="submit" loading={fetching}>Sign in</Button>
            <AnchorLink to="/reset-password" search={{ token: undefined }} size="sm">Forgot your password?</AnchorLink>
          </Stack>
        </Paper>
        {devSignIn && <DevSignIn next={next} />}
        <Text size="sm" c="dimmed" ta="center">Member? <Anchor href="/me/sign-in">Sign in to your points</Anchor></Text>
      </Stack>
    </Center>
  );
}

// `make run`'s dev mode only: the program and a bearer token (the dev admin token or a hand-made JWT).
function DevSignIn({ next }: { next?: string }) {
  const navigate = useNavigate();
  const [program, setProgram] = useState("");
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!program) return setProblem("program: required");
    if (!token) return setProblem("token: required");
    setSession({ kind: "staff", accessToken: token, program });
    navigate({ to: next && next.startsWith("/") ? next : "/admin" });
  };
  return (
    <Paper withBorder p="xl" component="form" onSubmit={submit}>
      <Stack>
        <Divider label="Development sign-in" />
        <Text size="sm" c="dimmed">The program and a bearer token.</Text>
        <TextInput label="Program" value={program} onChange={(e) => setProgram(e.currentTarget.value.trim())} />
        <PasswordInput label="Token" value={token} onChange={(e) => setToken(e.currentTarget.value.trim())} />
        {problem && <Alert color="red">{problem}</Alert>}
        <Button type="submit" variant="default">Sign in with token</Button>
      </Stack>
    </Paper>
  );
}
