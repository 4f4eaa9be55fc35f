import { Center, Paper, Text, Title } from "@mantine/core";

export default function MemberSignIn() {
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" maw={380} w="100%">
        <Title order={2}>Member sign-in</Title>
        <Text c="dimmed">Sign in with the passcode sent to your email or phone.</Text>
      </Paper>
    </Center>
  );
}
