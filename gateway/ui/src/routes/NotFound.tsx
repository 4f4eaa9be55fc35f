import { AnchorLink } from "../components/Links";
import { Center, Stack, Text, Title } from "@mantine/core";

export default function NotFound() {
  return (
    <Center h="100vh">
      <Stack align="center">
        <Title order={2}>Page not found</Title>
        <Text c="dimmed">That address is not a screen of this app.</Text>
        <AnchorLink to="/">Go home</AnchorLink>
      </Stack>
    </Center>
  );
}
