import { Center, Text } from "@mantine/core";

export default function Blank() {
  return (
    <Center h="100vh">
      <Text data-testid="blank-ready">Loyalty</Text>
    </Center>
  );
}
