import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { setSession } from "../session";

// Staff sign-in. Until staff accounts exist, `make run`'s dev mode offers a bearer token (the dev
// admin token or a staff JWT); the gateway says whether dev mode is on (/ui-config.json).
export default function SignIn() {
  const navigate = useNavigate();
  const { next } = useSearch({ from: "/sign-in" });
  const [devSignIn, setDevSignIn] = useState<boolean | null>(null);
  const [program, setProgram] = useState("");
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    fetch("/ui-config.json").then((r) => r.json()).then((c) => setDevSignIn(Boolean(c.devSignIn)))
      .catch(() => setDevSignIn(false));
  }, []);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!program) return setProblem("program: required");
    if (!token) return setProblem("token: required");
    setSession({ kind: "staff", accessToken: token, program });
    navigate({ to: next && next.startsWith("/") ? next : "/admin" });
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={380} component="form" onSubmit={submit}>
        <Stack>
          <Title order={2}>Sign in</Title>
          {devSignIn === false && <Text c="dimmed">Staff sign-in is not enabled on this server.</Text>}
          {devSignIn && (
            <>
              <Text size="sm" c="dimmed">Development sign-in: the program and a bearer token.</Text>
              <TextInput label="Program" value={program} onChange={(e) => setProgram(e.currentTarget.value.trim())} autoFocus />
              <PasswordInput label="Token" value={token} onChange={(e) => setToken(e.currentTarget.value.trim())} />
              {problem && <Alert color="red">{problem}</Alert>}
              <Button type="submit">Sign in</Button>
            </>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
