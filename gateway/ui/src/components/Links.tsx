import { Anchor, type AnchorProps, Button, type ButtonProps, NavLink, type NavLinkProps } from "@mantine/core";
import { createLink } from "@tanstack/react-router";
import { forwardRef } from "react";

// Mantine components as type-checked router links (route paths and params checked by tsc).
export const AnchorLink = createLink(forwardRef<HTMLAnchorElement, AnchorProps & React.AnchorHTMLAttributes<HTMLAnchorElement>>(
  (props, ref) => <Anchor ref={ref} {...props} />,
));
export const ButtonLink = createLink(forwardRef<HTMLAnchorElement, ButtonProps & React.AnchorHTMLAttributes<HTMLAnchorElement>>(
  (props, ref) => <Button component="a" ref={ref} {...props} />,
));
export const NavLinkLink = createLink(forwardRef<HTMLAnchorElement, NavLinkProps & React.AnchorHTMLAttributes<HTMLAnchorElement>>(
  (props, ref) => <NavLink component="a" ref={ref} {...props} />,
));
