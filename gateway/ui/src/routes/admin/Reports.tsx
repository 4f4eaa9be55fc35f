import { Title } from "@mantine/core";

export default function Reports() {
  return <Title order={2}>Reports</Title>;
}
