import { Client, CombinedError, type TypedDocumentNode, cacheExchange, fetchExchange, stringifyDocument } from "urql";
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

// One operation POSTed and read as plainly as fetch allows, outside the client's exchanges: for the
// till's actions, whose answers nothing caches or watches (the card refetches itself), so the till
// adds next to nothing to the API's own time. Errors come back as the client would give them.
export async function postOperation<Data, Vars>(
  document: TypedDocumentNode<Data, Vars>, variables: Vars,
): Promise<{ data?: Data; error?: CombinedError }> {
  let response: Response | undefined;
  try {
    response = await authorizedFetch("/graphql", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: stringifyDocument(document), variables }),
    });
    const body = (await response.json()) as { data?: Data | null; errors?: { message: string }[] };
    const error = body.errors?.length ? new CombinedError({ graphQLErrors: body.errors, response }) : undefined;
    return { data: body.data ?? undefined, error };
  } catch (e) {
    const networkError = response && !response.ok ? new Error(response.statusText || `HTTP ${response.status}`) : (e as Error);
    return { error: new CombinedError({ networkError, response }) };
  }
}

// A fresh reference per user action: a double click or a retried request reuses it, so the API
// posts once (the ledger's idempotency), while the next action gets a new one.
export function newReference(prefix: string): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${prefix}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}
