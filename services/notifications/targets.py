"""Where a webhook may go (SSRF protection): http(s) URLs whose host resolves only to public
addresses. Loopback, link-local (cloud metadata at 169.254.169.254), private, shared, multicast,
reserved and unspecified addresses are refused unless the operator allows them
(WEBHOOK_ALLOW_PRIVATE_TARGETS, for local development and tests). Checked when a subscription is
saved and again before each delivery (an address can change after it was saved); redirects are
never followed."""

import asyncio
import ipaddress
import socket
import urllib.parse

from services.common.errors import invalid

MAX_URL_LENGTH = 2000


class TargetRefused(Exception):
    """The URL's host is (now) an address webhooks may not reach."""


def parse_url(url: str, *, field: str = "url") -> urllib.parse.SplitResult:
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise invalid(field, f"must be 1 to {MAX_URL_LENGTH} characters")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(field, "must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise invalid(field, "must not carry credentials")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise invalid(field, "has an invalid port") from None
    return parts


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TargetRefused(f"{host!r} does not resolve: {exc.strerror}") from None
    return sorted({info[4][0] for info in infos})


async def check(url: str, *, allow_private: bool) -> None:
    """Raises TargetRefused when the URL's host resolves to any address webhooks may not reach."""
    parts = parse_url(url)
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    refused = [a for a in await resolve(parts.hostname, port) if not _is_public(a)]
    if refused:
        raise TargetRefused(f"{parts.hostname!r} resolves to a non-public address ({refused[0]}); "
                            "webhooks go to public addresses only")


async def check_for_saving(url: str, *, allow_private: bool, field: str = "url") -> str:
    try:
        await check(url, allow_private=allow_private)
    except TargetRefused as exc:
        raise invalid(field, str(exc)) from None
    return url.strip()
