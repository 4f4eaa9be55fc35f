import { Title } from "@mantine/core";
import { useParams } from "@tanstack/react-router";

export default function RuleEditor() {
  const { code } = useParams({ from: "/staff/admin/rules/$code" });
  return <Title order={2}>Rule set {code}</Title>;
}
