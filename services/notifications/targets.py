"""Where a webhook may go (SSRF protection): http(s) URLs whose host resolves only to public
addresses. Loopback, link-local (cloud metadata at 169.254.169.254), private, shared, multicast,
reserved and unspecified addresses are refused unless the operator allows them
(WEBHOOK_ALLOW_PRIVATE_TARGETS, for local development and tests). Checked when a subscription is
saved, and again on the addresses each new connection is actually opened to (`connector`: an
address can change after it was saved, and a check before the request would leave the connection's
own lookup unchecked); redirects are never followed."""

import asyncio
import ipaddress
import socket
import urllib.parse

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from services.common.errors import invalid

MAX_URL_LENGTH = 2000


class TargetRefused(OSError):
    """The URL's host is (now) an address webhooks may not reach (an OSError, so aiohttp's connector
    reports it as the connection's failure)."""


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


def _refusal(host: str, address: str) -> TargetRefused:
    return TargetRefused(f"{host!r} resolves to a non-public address ({address}); "
                         "webhooks go to public addresses only")


async def check(url: str, *, allow_private: bool) -> None:
    """Raises TargetRefused when the URL's host resolves to any address webhooks may not reach."""
    parts = parse_url(url)
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    refused = [a for a in await resolve(parts.hostname, port) if not _is_public(a)]
    if refused:
        raise _refusal(parts.hostname, refused[0])


async def check_for_saving(url: str, *, allow_private: bool, field: str = "url") -> str:
    try:
        await check(url, allow_private=allow_private)
    except TargetRefused as exc:
        raise invalid(field, str(exc)) from None
    return url.strip()


class PublicOnlyResolver(AbstractResolver):
    """aiohttp's resolver, refusing a host with any non-public address: the connector connects only
    to addresses this returned, and caches them (ttl_dns_cache), so deliveries pay no lookup of their
    own and a host re-pointed at an internal address after the check cannot be reached."""

    def __init__(self) -> None:
        self._inner = aiohttp.DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        refused = [r["host"] for r in results if not _is_public(r["host"])]
        if refused:
            raise _refusal(host, refused[0])
        return results

    async def close(self) -> None:
        await self._inner.close()


def connector(*, allow_private: bool, limit: int = 100) -> aiohttp.TCPConnector:
    """The connector for every outbound request to a URL a program saved (webhooks, the CDP)."""
    if allow_private:
        return aiohttp.TCPConnector(limit=limit)
    return aiohttp.TCPConnector(limit=limit, resolver=PublicOnlyResolver())


def check_literal(url: str, *, allow_private: bool) -> None:
    """The connector does not resolve an IP-literal host (it connects to it as written): such a host
    is checked here, without a lookup."""
    if allow_private:
        return
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: PublicOnlyResolver checks what it resolves to
    if not _is_public(host):
        raise _refusal(host, host)


def refusal_of(exc: BaseException) -> TargetRefused | None:
    """The refusal behind a connector's error, if that is what it was."""
    if isinstance(exc, TargetRefused):
        return exc
    cause = getattr(exc, "os_error", None)
    return cause if isinstance(cause, TargetRefused) else None
