import { Title } from "@mantine/core";

export default function Transactions() {
  return <Title order={2}>Transactions</Title>;
}
