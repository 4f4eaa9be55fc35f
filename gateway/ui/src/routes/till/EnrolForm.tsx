import { Button, Group, Paper, Stack, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import { ErrorNotice } from "../../errors";

const Enroll = graphql(`
  mutation TillEnroll($input: EnrollInput!) { enroll(input: $input) { member { loyaltyNumber } } }
`);

export function EnrolForm({ program, onDone }: { program: string; onDone: (loyaltyNumber: string) => void }) {
  const [form, setForm] = useState({ firstName: "", lastName: "", email: "", phone: "" });
  const [{ fetching, error }, enroll] = useMutation(Enroll);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <Paper withBorder p="md">
      <Stack
        component="form"
        onSubmit={async (e: React.FormEvent) => {
          e.preventDefault();
          const r = await enroll({ input: { program, ...form, phone: form.phone || null, channel: "pos" } });
          if (r.data) onDone(r.data.enroll.member.loyaltyNumber);
        }}
      >
        <Title order={4}>Enrol</Title>
        <Group grow>
          <TextInput label="First name" value={form.firstName} onChange={set("firstName")} required />
          <TextInput label="Last name" value={form.lastName} onChange={set("lastName")} required />
        </Group>
        <Group grow>
          <TextInput label="Email" type="email" value={form.email} onChange={set("email")} required />
          <TextInput label="Phone" value={form.phone} onChange={set("phone")} placeholder="+34..." />
        </Group>
        <ErrorNotice error={error} />
        <Button type="submit" loading={fetching}>Enrol</Button>
      </Stack>
    </Paper>
  );
}
