import { Alert } from "@mantine/core";
import type { CombinedError } from "urql";

export interface ShownError {
  code: string;
  message: string;
  field?: string;
}

const TITLES: Record<string, string> = {
  UNAUTHENTICATED: "Please sign in again",
  FORBIDDEN: "Not allowed",
  NOT_FOUND: "Not found",
  INVALID_INPUT: "Check the input",
  INSUFFICIENT_POINTS: "Not enough points",
  MEMBER_BLOCKED: "Member blocked",
  IDEMPOTENCY_CONFLICT: "Reference already used",
};

export function describeError(error: CombinedError): ShownError[] {
  if (error.graphQLErrors.length) {
    return error.graphQLErrors.map((e) => ({
      code: String(e.extensions?.code ?? "ERROR"),
      message: e.message,
      field: e.extensions?.field ? String(e.extensions.field) : undefined,
    }));
  }
  return [{ code: "NETWORK", message: error.networkError?.message ?? error.message }];
}

export function ErrorNotice({ error }: { error?: CombinedError | null }) {
  if (!error) return null;
  return (
    <>
      {describeError(error).map((e, i) => (
        <Alert key={i} color="red" title={TITLES[e.code] ?? e.code} data-testid="error" data-code={e.code} mb="sm">
          {e.field ? <strong>{e.field}: </strong> : null}
          {e.message}
        </Alert>
      ))}
    </>
  );
}
