import { Button, Center, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { ErrorNotice } from "../errors";
import { startSession } from "../auth";
import { firstProgram, landing } from "./SignIn";
import { PasswordRules, usePasswordPair } from "./ResetPassword";

const Accept = graphql(`
  mutation AcceptInvitation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { accessToken refreshToken expiresAt } }
`);

// The mailed invitation link lands here: the invitee chooses a password and is signed in.
export default function AcceptInvitation() {
  const navigate = useNavigate();
  const { token } = useSearch({ from: "/accept-invitation" });
  const [name, setName] = useState("");
  const pair = usePasswordPair();
  const [{ fetching, error }, accept] = useMutation(Accept);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (fetching || !pair.ok) return;
    const r = await accept({ input: { token: token ?? "", password: pair.password, displayName: name || null } });
    const t = r.data?.acceptInvitation;
    if (!t?.accessToken) return;
    const program = await firstProgram(t);
    startSession(t, { kind: "staff", program });
    navigate({ to: landing(undefined, program, t.accessToken) });
  };
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={400} component="form" onSubmit={submit}>
        <Stack>
          <Title order={2}>Welcome</Title>
          {!token && <Text c="red">This page needs the link from your invitation mail.</Text>}
          <TextInput label="Your name" value={name} onChange={(e) => setName(e.currentTarget.value)} autoFocus />
          <PasswordRules pair={pair} />
          <ErrorNotice error={error} />
          <Button type="submit" loading={fetching} disabled={!token}>Set password and sign in</Button>
        </Stack>
      </Paper>
    </Center>
  );
}
