import { Client, cacheExchange, fetchExchange } from "urql";
import { refreshIfDue } from "./auth";
import { getSession } from "./session";

// The session's bearer token on every request, refreshed first when it is about to expire.
// With nothing to refresh the request leaves in the same task as the click or keypress that made it,
// ahead of React's re-render for it (a till action's key to request).
export function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const send = () => {
    const headers = new Headers(init?.headers);
    const session = getSession();
    if (session) headers.set("authorization", `Bearer ${session.accessToken}`);
    return fetch(input, { ...init, headers });
  };
  const refreshing = refreshIfDue();
  return refreshing ? refreshing.then(send) : send();
}

// Every operation is a POST like the gateway's other clients (@urql/core 6 would send small queries as GET).
export const client = new Client({
  url: "/graphql",
  preferGetMethod: false,
  exchanges: [cacheExchange, fetchExchange],
  fetch: authorizedFetch,
});

// A fresh reference per user action: a double click or a retried request reuses it, so the API
// posts once (the ledger's idempotency), while the next action gets a new one.
export function newReference(prefix: string): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${prefix}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}
