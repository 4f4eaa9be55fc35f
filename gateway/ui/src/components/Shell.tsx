import {
  ActionIcon, AppShell, Burger, Group, Select, Text, TextInput, Tooltip, useMantineColorScheme,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { Outlet, useNavigate, useRouterState } from "@tanstack/react-router";
import { NavLinkLink } from "./Links";
import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { signOut } from "../auth";
import { can, getSession, setSession, useGrants, useSession } from "../session";

const MyPrograms = graphql(`query ShellPrograms { me { displayName email programs { code name } } }`);

// The navigation, each entry shown only with the permission its screen's queries need.
const NAV: { to: string; label: string; permission: string }[] = [
  { to: "/admin", label: "Dashboard", permission: "points.report" },
  { to: "/admin/members", label: "Members", permission: "member.read" },
  { to: "/admin/duplicates", label: "Duplicates", permission: "member.merge" },
  { to: "/admin/transactions", label: "Transactions", permission: "points.report" },
  { to: "/admin/segments", label: "Segments", permission: "member.read" },
  { to: "/admin/rules", label: "Rules", permission: "rules.read" },
  { to: "/admin/campaigns", label: "Campaigns", permission: "rules.read" },
  { to: "/admin/rewards", label: "Rewards", permission: "rewards.read" },
  { to: "/admin/tiers", label: "Tiers", permission: "tier.read" },
  { to: "/admin/partners", label: "Partners", permission: "billing.read" },
  { to: "/admin/reports", label: "Reports", permission: "points.report" },
  { to: "/admin/users", label: "Users", permission: "user.read" },
  { to: "/admin/api-keys", label: "API keys", permission: "program.manage_api_keys" },
  { to: "/admin/audit", label: "Audit log", permission: "audit.read" },
  { to: "/admin/settings", label: "Settings", permission: "program.manage" },
  { to: "/admin/imports", label: "Legacy imports", permission: "import.read" },
  { to: "/till", label: "Till", permission: "points.earn" },
];

export function Shell() {
  const [opened, { toggle }] = useDisclosure();
  const session = useSession();
  const grants = useGrants();
  const navigate = useNavigate();
  const path = useRouterState({ select: (s) => s.location.pathname });
  const { toggleColorScheme } = useMantineColorScheme();
  const [program, setProgram] = useState(session?.program ?? "");
  const [{ data: viewer }] = useQuery({ query: MyPrograms });
  const choices = viewer?.me.programs ?? [];

  const switchProgram = (code = program) => {
    const s = getSession();
    if (s && code && code !== s.program) {
      localStorage.setItem("loyalty.lastProgram", code);
      setSession({ ...s, program: code });
    }
  };

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={700}>Loyalty</Text>
            {choices.length > 1 ? (
              <Select
                aria-label="Program" size="xs" w={200} value={session?.program ?? null} data-testid="program-switcher"
                data={choices.map((p) => ({ value: p.code, label: p.name }))} allowDeselect={false}
                onChange={(code) => code && switchProgram(code)}
              />
            ) : choices.length === 1 ? (
              <Text size="sm" data-testid="program-switcher">{choices[0].name}</Text>
            ) : (
              // The dev token and platform tokens name no programs: the code is typed.
              <TextInput
                aria-label="Program" size="xs" w={160} value={program} data-testid="program-switcher"
                onChange={(e) => setProgram(e.currentTarget.value.trim())}
                onBlur={() => switchProgram()} onKeyDown={(e) => e.key === "Enter" && switchProgram()}
              />
            )}
          </Group>
          <Group wrap="nowrap" gap="xs">
            {viewer?.me.displayName || viewer?.me.email ? <Text size="sm" c="dimmed" visibleFrom="sm" data-testid="viewer">{viewer.me.displayName || viewer.me.email}</Text> : null}
            <Tooltip label="Light / dark">
              <ActionIcon variant="default" aria-label="Light or dark" onClick={toggleColorScheme}>◐</ActionIcon>
            </Tooltip>
            <ActionIcon
              variant="default" aria-label="Sign out" w="auto" px="xs"
              onClick={async () => { await signOut(); navigate({ to: "/sign-in", search: { next: undefined } }); }}
            >
              Sign out
            </ActionIcon>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {NAV.filter((n) => can(grants, n.permission)).map((n) => (
          <NavLinkLink
            key={n.to} label={n.label} to={n.to} activeOptions={{ exact: n.to === "/admin" }}
            active={n.to === "/admin" ? path === "/admin" : path.startsWith(n.to)}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
