// The signed-in session, kept in localStorage so a reload or a deep link stays signed in.
import { useSyncExternalStore } from "react";

export type SessionKind = "staff" | "member";

export interface Session {
  kind: SessionKind;
  accessToken: string;
  refreshToken?: string | null;
  expiresAt?: string | null;
  program: string;
  // A member session: the member's own loyalty number (the API scopes it; the UI only shows it).
  loyaltyNumber?: string | null;
}

const KEY = "loyalty.session";
const listeners = new Set<() => void>();
let current: Session | null = read();

// Another tab signed in, out, or rotated the tokens: follow it (two tabs spending one refresh token
// would end the session as a reuse).
window.addEventListener("storage", (e) => {
  if (e.key !== KEY) return;
  current = read();
  listeners.forEach((l) => l());
});

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

// The session as stored now, written by this tab or another one.
export function storedSession(): Session | null {
  current = read();
  return current;
}

export function setSession(next: Session | null): void {
  current = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

// What a bearer token allows in the session's program, read from its claims (hand-made staff JWTs
// carry programs and permissions; sign-in adds grants per program); the API checks every call
// again, this only decides what the navigation shows.
export interface Grants {
  permissions: string[];
  programs: string[];
}

export function grantsOf(session: Session | null): Grants {
  if (!session) return { permissions: [], programs: [] };
  const parts = session.accessToken.split(".");
  if (parts.length !== 3) return { permissions: ["*"], programs: ["*"] }; // the dev admin token
  try {
    const claims = JSON.parse(atob(parts[1].replace(/-/g, "+").replace(/_/g, "/")));
    const programs: string[] = claims.programs === "*" ? ["*"] : (claims.programs ?? []);
    const grants: Record<string, string[]> = claims.grants ?? {};
    const permissions = [...(claims.permissions ?? []), ...(grants[session.program] ?? [])];
    return { permissions, programs: [...new Set([...programs, ...Object.keys(grants)])] };
  } catch {
    return { permissions: [], programs: [] };
  }
}

export function can(grants: Grants, permission: string): boolean {
  return grants.permissions.includes("*") || grants.permissions.includes(permission);
}

export function useGrants(): Grants {
  return grantsOf(useSession());
}
