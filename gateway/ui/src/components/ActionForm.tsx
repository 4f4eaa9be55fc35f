import { Button, Group, Modal, NumberInput, Select, Stack, Text, TextInput } from "@mantine/core";
import { useEffect, useState } from "react";
import type { CombinedError } from "urql";
import { ErrorNotice } from "../errors";

export interface ActionField {
  name: string;
  label: string;
  kind?: "int" | "text" | "date" | "select";
  options?: string[];
  allowNegative?: boolean;
  placeholder?: string;
  optional?: boolean;
}

// A staff action on a member (adjust, transfer, status, merge, ...): its fields, and always a reason
// unless `noReason` (the API then records none). The caller keeps one idempotency reference per
// opened form, so a double submit or a retry posts once.
export function ActionModal(props: {
  title: string; opened: boolean; onClose: () => void; fields: ActionField[]; noReason?: boolean;
  warning?: string; confirmLabel?: string; testId?: string;
  submit: (values: Record<string, string>) => Promise<CombinedError | undefined>;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CombinedError | undefined>();
  // Nothing (not even the modal's portal) until first opened: a screen offers several of these, and
  // each closed one would still cost its first render. Mounted closed, then opened, so it animates in.
  const [used, setUsed] = useState(false);
  useEffect(() => { if (props.opened) setUsed(true); }, [props.opened]);
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));
  const close = () => { setValues({}); setError(undefined); props.onClose(); };
  if (!used && !props.opened) return null;
  return (
    <Modal opened={props.opened && used} onClose={close} title={props.title}>
      <Stack
        component="form" data-testid={props.testId}
        onSubmit={async (e: React.FormEvent) => {
          e.preventDefault();
          setBusy(true);
          const err = await props.submit(values);
          setBusy(false);
          setError(err);
          if (!err) close();
        }}
      >
        {props.warning && <Text c="red" size="sm">{props.warning}</Text>}
        {props.fields.map((f) => f.kind === "int" ? (
          <NumberInput key={f.name} label={f.label} value={values[f.name] ?? ""} allowDecimal={false}
            allowNegative={f.allowNegative ?? false} required onChange={(v) => set(f.name, String(v))} />
        ) : f.kind === "select" ? (
          <Select key={f.name} label={f.label} data={f.options ?? []} value={values[f.name] ?? null} required
            allowDeselect={false} comboboxProps={{ withinPortal: false }} onChange={(v) => set(f.name, v ?? "")} />
        ) : (
          <TextInput key={f.name} label={f.label} type={f.kind === "date" ? "date" : "text"} required={!f.optional}
            placeholder={f.placeholder} value={values[f.name] ?? ""} onChange={(e) => set(f.name, e.currentTarget.value)} />
        ))}
        {!props.noReason && (
          <TextInput label="Reason" value={values.reason ?? ""} required onChange={(e) => set("reason", e.currentTarget.value)} />
        )}
        <ErrorNotice error={error} />
        <Group justify="flex-end">
          <Button type="submit" loading={busy} color={props.warning ? "red" : undefined}>{props.confirmLabel ?? "Confirm"}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
