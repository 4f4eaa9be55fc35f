import {
  ActionIcon, AppShell, Burger, Group, Text, TextInput, Tooltip, useMantineColorScheme,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { Outlet, useNavigate, useRouterState } from "@tanstack/react-router";
import { NavLinkLink } from "./Links";
import { useState } from "react";
import { can, getSession, setSession, useGrants, useSession } from "../session";

// The navigation, each entry shown only with the permission its screen's queries need.
const NAV: { to: string; label: string; permission: string }[] = [
  { to: "/admin", label: "Dashboard", permission: "points.report" },
  { to: "/admin/members", label: "Members", permission: "member.read" },
  { to: "/admin/transactions", label: "Transactions", permission: "points.report" },
  { to: "/admin/rules", label: "Rules", permission: "rules.read" },
  { to: "/admin/reports", label: "Reports", permission: "points.report" },
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

  const switchProgram = () => {
    const s = getSession();
    if (s && program && program !== s.program) setSession({ ...s, program });
  };

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={700}>Loyalty</Text>
            <TextInput
              aria-label="Program" size="xs" w={160} value={program} data-testid="program-switcher"
              onChange={(e) => setProgram(e.currentTarget.value.trim())}
              onBlur={switchProgram} onKeyDown={(e) => e.key === "Enter" && switchProgram()}
            />
          </Group>
          <Group wrap="nowrap" gap="xs">
            <Tooltip label="Light / dark">
              <ActionIcon variant="default" aria-label="Light or dark" onClick={toggleColorScheme}>◐</ActionIcon>
            </Tooltip>
            <ActionIcon
              variant="default" aria-label="Sign out" w="auto" px="xs"
              onClick={() => { setSession(null); navigate({ to: "/sign-in", search: { next: undefined } }); }}
            >
              Sign out
            </ActionIcon>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {NAV.filter((n) => can(grants, n.permission)).map((n) => (
          <NavLinkLink
            key={n.to} label={n.label} to={n.to}
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
