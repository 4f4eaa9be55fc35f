import { Title } from "@mantine/core";

export default function Home() {
  return <Title order={2}>My points</Title>;
}
