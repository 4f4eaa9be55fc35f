import { Client, cacheExchange, fetchExchange } from "urql";
import { getSession } from "./session";

// Every operation is a POST like the gateway's other clients (@urql/core 6 would send small queries as GET).
export const client = new Client({
  url: "/graphql",
  preferGetMethod: false,
  exchanges: [cacheExchange, fetchExchange],
  fetchOptions: () => {
    const session = getSession();
    const headers: Record<string, string> = {};
    if (session) headers.authorization = `Bearer ${session.accessToken}`;
    return { headers };
  },
});

// A fresh reference per user action: a double click or a retried request reuses it, so the API
// posts once (the ledger's idempotency), while the next action gets a new one.
export function newReference(prefix: string): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${prefix}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}
