import { Center, Loader, Text } from "@mantine/core";

export function Loading() {
  return (
    <Center p="xl" data-testid="loading">
      <Loader size="sm" />
    </Center>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <Text c="dimmed" p="md" data-testid="empty">
      {children}
    </Text>
  );
}
