import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { ErrorNotice } from "../errors";
import { AnchorLink } from "../components/Links";

const RequestReset = graphql(`
  mutation RequestPasswordReset($email: String!) { requestPasswordReset(email: $email) }
`);
const Reset = graphql(`
  mutation ResetPassword($input: ResetPasswordInput!) { resetPassword(input: $input) }
`);

// The server holds the real policy (length, common passwords); this only catches a typo early.
const MIN_LENGTH = 12;

export function usePasswordPair() {
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const problem = password && password.length < MIN_LENGTH ? `at least ${MIN_LENGTH} characters`
    : again && again !== password ? "the two passwords differ" : null;
  return { password, setPassword, again, setAgain, problem, ok: Boolean(password) && password === again && !problem };
}

export function PasswordRules({ pair }: { pair: ReturnType<typeof usePasswordPair> }) {
  return (
    <>
      <PasswordInput label="New password" autoComplete="new-password" value={pair.password}
        onChange={(e) => pair.setPassword(e.currentTarget.value)} required description={`At least ${MIN_LENGTH} characters, not a common one`} />
      <PasswordInput label="New password again" autoComplete="new-password" value={pair.again}
        onChange={(e) => pair.setAgain(e.currentTarget.value)} required error={pair.problem} />
    </>
  );
}

// Without a token: ask for the mail (the same answer whether or not the address has an account).
// With the mailed token: set the new password; every session of the account ends.
export default function ResetPassword() {
  const { token } = useSearch({ from: "/reset-password" });
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={400}>{token ? <SetPassword token={token} /> : <AskForMail />}</Paper>
    </Center>
  );
}

function AskForMail() {
  const [email, setEmail] = useState("");
  const [{ fetching, error, data }, request] = useMutation(RequestReset);
  return (
    <Stack component="form" onSubmit={(e: React.FormEvent) => { e.preventDefault(); if (!fetching) request({ email }); }}>
      <Title order={2}>Reset your password</Title>
      {data ? (
        <Alert color="teal" data-testid="reset-sent">If {email} has an account, a link is on its way. It works once.</Alert>
      ) : (
        <>
          <TextInput label="Email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value.trim())} required autoFocus />
          <ErrorNotice error={error} />
          <Button type="submit" loading={fetching}>Send the link</Button>
        </>
      )}
      <AnchorLink to="/sign-in" search={{ next: undefined }} size="sm">Back to sign-in</AnchorLink>
    </Stack>
  );
}

function SetPassword({ token }: { token: string }) {
  const pair = usePasswordPair();
  const [{ fetching, error, data }, reset] = useMutation(Reset);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!fetching && pair.ok) reset({ input: { token, password: pair.password } });
  };
  if (data?.resetPassword) {
    return (
      <Stack>
        <Title order={2}>Password changed</Title>
        <Text data-testid="reset-done">Sign in with your new password.</Text>
        <AnchorLink to="/sign-in" search={{ next: undefined }}>Sign in</AnchorLink>
      </Stack>
    );
  }
  return (
    <Stack component="form" onSubmit={submit}>
      <Title order={2}>Choose a new password</Title>
      <PasswordRules pair={pair} />
      <ErrorNotice error={error} />
      <Button type="submit" loading={fetching}>Change password</Button>
    </Stack>
  );
}
