import { Button, Center, Paper, SegmentedControl, Stack, Text, TextInput, Title } from "@mantine/core";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";
import { startSession } from "../../auth";

const RequestPasscode = graphql(`
  mutation PortalRequestPasscode($input: RequestMemberPasscodeInput!) { requestMemberPasscode(input: $input) }
`);
const MemberSignIn = graphql(`
  mutation PortalSignIn($input: MemberSignInInput!) { memberSignIn(input: $input) { accessToken refreshToken expiresAt } }
`);

// The program comes from the link a program gives its members (/me/sign-in?program=CODE) or is typed.
function programFromLink(): string {
  return new URLSearchParams(location.search).get("program") ?? localStorage.getItem("loyalty.memberProgram") ?? "";
}

export default function PortalSignIn() {
  const navigate = useNavigate();
  const [program, setProgram] = useState(programFromLink);
  const [by, setBy] = useState<"email" | "phone">("email");
  const [address, setAddress] = useState("");
  const [passcode, setPasscode] = useState("");
  const [sent, setSent] = useState(false);
  const [requestState, request] = useMutation(RequestPasscode);
  const [signInState, signIn] = useMutation(MemberSignIn);
  const who = by === "email" ? { email: address, phone: null } : { email: null, phone: address };

  const ask = async (e: React.FormEvent) => {
    e.preventDefault();
    if (requestState.fetching) return;
    const r = await request({ input: { program, ...who } });
    if (r.data?.requestMemberPasscode) setSent(true);
  };
  const enter = async (e: React.FormEvent) => {
    e.preventDefault();
    if (signInState.fetching) return;
    const r = await signIn({ input: { program, ...who, passcode } });
    const t = r.data?.memberSignIn;
    if (!t?.accessToken) return;
    localStorage.setItem("loyalty.memberProgram", program);
    startSession(t, { kind: "member", program });
    navigate({ to: "/me" });
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" maw={400} w="100%">
        <Title order={2} mb="xs">My points</Title>
        {!sent ? (
          <Stack component="form" onSubmit={ask}>
            <Text c="dimmed" size="sm">We send a one-time passcode to the address your membership has.</Text>
            <TextInput label="Program" value={program} onChange={(e) => setProgram(e.currentTarget.value.trim())} required />
            <SegmentedControl value={by} onChange={(v) => setBy(v as "email" | "phone")} data={[{ label: "Email", value: "email" }, { label: "Phone", value: "phone" }]} />
            <TextInput label={by === "email" ? "Email" : "Phone"} type={by === "email" ? "email" : "tel"} value={address}
              onChange={(e) => setAddress(e.currentTarget.value.trim())} required autoFocus />
            <ErrorNotice error={requestState.error} />
            <Button type="submit" loading={requestState.fetching}>Send me a passcode</Button>
          </Stack>
        ) : (
          <Stack component="form" onSubmit={enter}>
            <Text size="sm" data-testid="passcode-sent">If {address} belongs to a member, a passcode is on its way. It is valid for 15 minutes and works once.</Text>
            <TextInput label="Passcode" inputMode="numeric" autoComplete="one-time-code" value={passcode}
              onChange={(e) => setPasscode(e.currentTarget.value.trim())} required autoFocus />
            <ErrorNotice error={signInState.error} />
            <Button type="submit" loading={signInState.fetching}>Sign in</Button>
            <Button variant="subtle" onClick={() => { setSent(false); setPasscode(""); }}>Use another address</Button>
          </Stack>
        )}
      </Paper>
    </Center>
  );
}
