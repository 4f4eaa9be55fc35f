import {
  Outlet, createRootRoute, createRoute, createRouter, lazyRouteComponent, redirect,
} from "@tanstack/react-router";
import { getSession } from "./session";
import { Shell } from "./components/Shell";
import { client } from "./client";
import { Header as Member360Header, LedgerTab as Member360Ledger } from "./routes/admin/member360Queries";

// Every screen is its own chunk: the till and the portal never download the rule builder or charts.
const rootRoute = createRootRoute({ component: () => <Outlet /> });

function requireStaff() {
  const s = getSession();
  if (!s) throw redirect({ to: "/sign-in", search: { next: location.pathname } });
  if (s.kind !== "staff") throw redirect({ to: "/me" });
}

function requireMember() {
  const s = getSession();
  if (!s || s.kind !== "member") throw redirect({ to: "/me/sign-in" });
}

const signIn = createRoute({
  getParentRoute: () => rootRoute, path: "/sign-in",
  validateSearch: (s: Record<string, unknown>) => ({ next: typeof s.next === "string" ? s.next : undefined }),
  component: lazyRouteComponent(() => import("./routes/SignIn")),
});

const tokenSearch = (s: Record<string, unknown>) => ({ token: typeof s.token === "string" ? s.token : undefined });
const acceptInvitation = createRoute({
  getParentRoute: () => rootRoute, path: "/accept-invitation", validateSearch: tokenSearch,
  component: lazyRouteComponent(() => import("./routes/AcceptInvitation")),
});
const resetPassword = createRoute({
  getParentRoute: () => rootRoute, path: "/reset-password", validateSearch: tokenSearch,
  component: lazyRouteComponent(() => import("./routes/ResetPassword")),
});

const index = createRoute({
  getParentRoute: () => rootRoute, path: "/",
  beforeLoad: () => {
    const s = getSession();
    throw redirect({ to: s?.kind === "member" ? "/me" : s ? "/admin" : "/sign-in" });
  },
});

// Renders the shell and nothing that fetches: the benchmark's baseline route.
const blank = createRoute({
  getParentRoute: () => rootRoute, path: "/blank",
  component: lazyRouteComponent(() => import("./routes/Blank")),
});

const staff = createRoute({ getParentRoute: () => rootRoute, id: "staff", beforeLoad: requireStaff, component: Shell });

const optional = (v: unknown) => (typeof v === "string" && v ? v : undefined);
const listSearch = (s: Record<string, unknown>) => ({
  q: typeof s.q === "string" ? s.q : "",
  after: typeof s.after === "string" ? s.after : undefined,
  status: typeof s.status === "string" ? s.status : undefined,
});

const dashboard = createRoute({
  getParentRoute: () => staff, path: "/admin",
  component: lazyRouteComponent(() => import("./routes/admin/Dashboard")),
});
const members = createRoute({
  getParentRoute: () => staff, path: "/admin/members", validateSearch: listSearch,
  component: lazyRouteComponent(() => import("./routes/admin/Members")),
});
const member360 = createRoute({
  getParentRoute: () => staff, path: "/admin/members/$number",
  validateSearch: (s: Record<string, unknown>): { tab?: string; after?: string } => ({ tab: optional(s.tab), after: optional(s.after) }),
  loaderDeps: ({ search }) => ({ tab: search.tab, after: search.after }),
  // Both leave with the route match, from the network (the screen then reads them from the cache, one
  // request each); the header is awaited, so the screen's first render shows the member (one commit,
  // not a loader and then the whole screen); the ledger is found in flight or cached once the header
  // is painted. A tab or page change (`stay`) keeps the header it has.
  loader: async ({ params, deps, cause }) => {
    const program = getSession()?.program;
    if (!program) return;
    const header = client.query(Member360Header, { program, number: params.number },
      { requestPolicy: cause === "stay" ? "cache-first" : "network-only" }).toPromise();
    if (!deps.tab || deps.tab === "ledger") {
      void client.query(Member360Ledger, { program, number: params.number, after: deps.after ?? null, closed: false },
        { requestPolicy: "network-only" }).toPromise();
    }
    await header;
  },
  component: lazyRouteComponent(() => import("./routes/admin/Member360")),
});
const duplicates = createRoute({
  getParentRoute: () => staff, path: "/admin/duplicates",
  validateSearch: (s: Record<string, unknown>): { q?: string; min?: number; after?: string; a?: string; b?: string } => ({
    q: optional(s.q), min: typeof s.min === "number" ? s.min : undefined, after: optional(s.after),
    a: optional(s.a), b: optional(s.b),
  }),
  component: lazyRouteComponent(() => import("./routes/admin/Duplicates")),
});
const rules = createRoute({
  getParentRoute: () => staff, path: "/admin/rules",
  component: lazyRouteComponent(() => import("./routes/admin/RuleSets")),
});
const ruleEditor = createRoute({
  getParentRoute: () => staff, path: "/admin/rules/$code",
  component: lazyRouteComponent(() => import("./routes/admin/RuleEditor")),
});
const transactions = createRoute({
  getParentRoute: () => staff, path: "/admin/transactions",
  validateSearch: (s: Record<string, unknown>) => ({
    kind: typeof s.kind === "string" ? s.kind : undefined,
    from: typeof s.from === "string" ? s.from : undefined,
    to: typeof s.to === "string" ? s.to : undefined,
    member: typeof s.member === "string" ? s.member : undefined,
    after: typeof s.after === "string" ? s.after : undefined,
  }),
  component: lazyRouteComponent(() => import("./routes/admin/Transactions")),
});
const reports = createRoute({
  getParentRoute: () => staff, path: "/admin/reports",
  validateSearch: (s: Record<string, unknown>): { report?: string; from?: string; to?: string; period?: string; slab?: string; month?: string; campaign?: string } => ({
    report: optional(s.report), from: optional(s.from), to: optional(s.to), period: optional(s.period), slab: optional(s.slab),
    month: optional(s.month), campaign: optional(s.campaign),
  }),
  component: lazyRouteComponent(() => import("./routes/admin/Reports")),
});
const users = createRoute({
  getParentRoute: () => staff, path: "/admin/users",
  component: lazyRouteComponent(() => import("./routes/admin/Users")),
});
const apiKeys = createRoute({
  getParentRoute: () => staff, path: "/admin/api-keys",
  component: lazyRouteComponent(() => import("./routes/admin/ApiKeys")),
});
const audit = createRoute({
  getParentRoute: () => staff, path: "/admin/audit",
  validateSearch: (s: Record<string, unknown>) => ({
    subject: optional(s.subject), operation: optional(s.operation), outcome: optional(s.outcome),
    from: optional(s.from), to: optional(s.to), before: optional(s.before),
  }),
  component: lazyRouteComponent(() => import("./routes/admin/AuditLog")),
});
const rewards = createRoute({
  getParentRoute: () => staff, path: "/admin/rewards",
  validateSearch: (s: Record<string, unknown>) => ({ type: optional(s.type), inactive: s.inactive === true ? true : undefined }),
  component: lazyRouteComponent(() => import("./routes/admin/Rewards")),
});
const tiers = createRoute({
  getParentRoute: () => staff, path: "/admin/tiers",
  validateSearch: (s: Record<string, unknown>) => ({
    slab: optional(s.slab), from: optional(s.from), to: optional(s.to), period: optional(s.period),
  }),
  component: lazyRouteComponent(() => import("./routes/admin/Tiers")),
});
const segments = createRoute({
  getParentRoute: () => staff, path: "/admin/segments",
  validateSearch: (s: Record<string, unknown>) => ({ q: typeof s.q === "string" ? s.q : "" }),
  component: lazyRouteComponent(() => import("./routes/admin/Segments")),
});
const campaigns = createRoute({
  getParentRoute: () => staff, path: "/admin/campaigns",
  validateSearch: (s: Record<string, unknown>) => ({ campaign: optional(s.campaign) }),
  component: lazyRouteComponent(() => import("./routes/admin/Campaigns")),
});
const partners = createRoute({
  getParentRoute: () => staff, path: "/admin/partners",
  validateSearch: (s: Record<string, unknown>): { status?: string } => ({ status: optional(s.status) }),
  component: lazyRouteComponent(() => import("./routes/admin/Partners")),
});
const settings = createRoute({
  getParentRoute: () => staff, path: "/admin/settings",
  component: lazyRouteComponent(() => import("./routes/admin/Settings")),
});
const imports = createRoute({
  getParentRoute: () => staff, path: "/admin/imports",
  validateSearch: (s: Record<string, unknown>): { run?: string; after?: string } => ({ run: optional(s.run), after: optional(s.after) }),
  component: lazyRouteComponent(() => import("./routes/admin/Imports")),
});
const till = createRoute({
  getParentRoute: () => staff, path: "/till",
  component: lazyRouteComponent(() => import("./routes/till/Find")),
});
const tillMember = createRoute({
  getParentRoute: () => staff, path: "/till/$number",
  component: lazyRouteComponent(() => import("./routes/till/MemberCard")),
});

const memberSignIn = createRoute({
  getParentRoute: () => rootRoute, path: "/me/sign-in",
  component: lazyRouteComponent(() => import("./routes/portal/SignIn")),
});
const portal = createRoute({
  getParentRoute: () => rootRoute, path: "/me", beforeLoad: requireMember,
  component: lazyRouteComponent(() => import("./routes/portal/Home")),
});

const notFound = createRoute({
  getParentRoute: () => rootRoute, path: "$",
  component: lazyRouteComponent(() => import("./routes/NotFound")),
});

const routeTree = rootRoute.addChildren([
  signIn, acceptInvitation, resetPassword, index, blank, memberSignIn, portal, notFound,
  staff.addChildren([dashboard, members, member360, duplicates, rules, ruleEditor, transactions, reports, users, apiKeys, audit, rewards, tiers, segments, campaigns, partners, settings, imports, till, tillMember]),
]);

export const router = createRouter({ routeTree, defaultPreload: false });

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
