// Sign-in, token refresh and sign-out. They go through a client of their own (no bearer token), so
// a refresh never waits on itself.
import { Client, fetchExchange } from "urql";
import { graphql } from "./gql";
import { type Session, setSession, storedSession } from "./session";

const bare = new Client({ url: "/graphql", preferGetMethod: false, exchanges: [fetchExchange] });

const Refresh = graphql(`
  mutation RefreshSession($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken expiresAt } }
`);
const SignOut = graphql(`
  mutation SignOut($token: String!) { signOut(refreshToken: $token) }
`);

export interface Tokens { accessToken?: string | null; refreshToken?: string | null; expiresAt?: string | null }

// A minute of margin: a request that starts just before expiry must not arrive just after.
const REFRESH_MARGIN_MS = 60_000;
let inFlight: Promise<void> | null = null;

function due(s: Session | null): s is Session {
  return Boolean(s?.refreshToken && s.expiresAt && Date.parse(s.expiresAt) - Date.now() < REFRESH_MARGIN_MS);
}

// null when nothing is due (the common case): the caller sends at once, without a turn of the event loop.
export function refreshIfDue(): Promise<void> | null {
  if (!due(storedSession())) return null;
  inFlight ??= withTabLock(refreshNow).finally(() => { inFlight = null; });
  return inFlight;
}

// One tab refreshes at a time; the others find the new tokens in storage when they get the lock.
function withTabLock(run: () => Promise<void>): Promise<void> {
  return navigator.locks ? navigator.locks.request("loyalty.refresh", () => run()).then(() => undefined) : run();
}

async function refreshNow(): Promise<void> {
  const s = storedSession();
  if (!due(s)) return;
  const r = await bare.mutation(Refresh, { token: s.refreshToken! }).toPromise();
  const t = r.data?.refreshSession;
  if (t?.accessToken && t.refreshToken) {
    setSession({ ...s, accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: t.expiresAt ?? null });
  } else if (r.error?.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
    setSession(null); // signed out elsewhere, deactivated, or the token was reused: sign in again
  }
}

export function startSession(tokens: Tokens, rest: Omit<Session, "accessToken" | "refreshToken" | "expiresAt">): void {
  setSession({ ...rest, accessToken: tokens.accessToken!, refreshToken: tokens.refreshToken ?? null,
               expiresAt: tokens.expiresAt ?? null });
}

export async function signOut(): Promise<void> {
  const s = storedSession();
  setSession(null);
  if (s?.refreshToken) await bare.mutation(SignOut, { token: s.refreshToken }).toPromise();
}

// A query with a token that is not (yet) the session's: the viewer right after sign-in.
export function asBearer(token: string): Client {
  return new Client({
    url: "/graphql", preferGetMethod: false, exchanges: [fetchExchange],
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
  });
}
