import { Button, Group, Modal, NumberInput, Stack, TextInput } from "@mantine/core";
import { useState } from "react";
import type { CombinedError } from "urql";
import { ErrorNotice } from "../errors";

// A points action with a reason (adjust, goodwill): one idempotency reference per opened form, so a
// double submit or a retry posts once.
export function PointsActionModal(props: {
  title: string; opened: boolean; onClose: () => void; allowNegative?: boolean;
  submit: (points: number, reason: string) => Promise<CombinedError | undefined>;
}) {
  const [points, setPoints] = useState<number | string>("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CombinedError | undefined>();
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title}>
      <Stack
        component="form"
        onSubmit={async (e: React.FormEvent) => {
          e.preventDefault();
          setBusy(true);
          const err = await props.submit(Number(points), reason);
          setBusy(false);
          setError(err);
          if (!err) { setPoints(""); setReason(""); props.onClose(); }
        }}
      >
        <NumberInput label="Points" value={points} onChange={setPoints} allowDecimal={false} allowNegative={props.allowNegative} required />
        <TextInput label="Reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} required />
        <ErrorNotice error={error} />
        <Group justify="flex-end"><Button type="submit" loading={busy}>Confirm</Button></Group>
      </Stack>
    </Modal>
  );
}
