"""What the site may take from a request: a path to build its own links, and the client's address."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest


def local_path(request: HttpRequest, *, query: bool = True) -> str:
    """The request's path (and query), always a path on this site.

    A request line such as `GET //evil.example/en/search/` has a path that a browser reads as
    another host (`//host/…`, also `/\\host/…`); Django's URL helpers (`translate_url`,
    `build_absolute_uri(path)`) would carry that host into links. Links built from this start with
    exactly one slash, so they always stay on the host the site answered for.
    """
    path = request.get_full_path() if query else request.get_full_path().split("?", 1)[0]
    return "/" + path.lstrip("/\\")


def _address(text: str) -> IPv4Address | IPv6Address | None:
    """An address as a proxy writes it (`1.2.3.4`, `1.2.3.4:567`, `2001:db8::1`, `[2001:db8::1]:567`)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`, for rate limits and the admin lockout.

    Without configuration it is `REMOTE_ADDR`: `X-Forwarded-For` is ignored, since anyone can send
    it. Behind a reverse proxy (TLS terminator, load balancer) `REMOTE_ADDR` is the proxy, shared by
    every visitor; then the settings say whom to believe (README, "Settings"):

    - `CAC_TRUSTED_PROXIES` (env `TRUSTED_PROXIES`, addresses or networks): when the connection
      comes from one of them, `X-Forwarded-For` is read from the right, each trusted proxy's entry
      skipped; the first address that is not a trusted proxy is the client. Entries further left
      were written by the client itself and are never read.
    - `CAC_TRUSTED_PROXY_COUNT` (env `TRUSTED_PROXY_COUNT`, N): every request passes N proxies,
      each appending the address it was connected from; the client is the N-th entry from the
      right. A request with fewer entries did not come through them: `REMOTE_ADDR`.

    An entry that is not an address (a misconfigured proxy) also gives `REMOTE_ADDR`.
    """
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "") or ""
    forwarded = [entry for entry in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    trusted = tuple(getattr(settings, "CAC_TRUSTED_PROXIES", ()))
    count = int(getattr(settings, "CAC_TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted:
        networks = _networks(trusted)
        if not _is_trusted(_address(remote), networks):
            return remote
        client = None
        for entry in reversed(forwarded):
            client = _address(entry)
            if not _is_trusted(client, networks):
                break
        return str(client) if client is not None else remote
    if count and len(forwarded) >= count:
        client = _address(forwarded[-count])
        return str(client) if client is not None else remote
    return remote
