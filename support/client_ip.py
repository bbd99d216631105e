"""The client's address, for per-IP limits only (never stored on a user).

The address is the TCP peer of the connection unless both settings say a
proxy in front tells us better:

* ``CLIENT_IP_HEADER`` names the header the proxy sets (``X-Real-IP`` in
  docs/nginx.conf), and
* ``TRUSTED_PROXIES`` lists the addresses or networks of those proxies.

The header is read only on a request whose peer is one of the trusted
proxies; from anyone else it is ignored, so a client cannot choose its own
address by sending the header (or ``X-Forwarded-For``). With either setting
empty, every request is counted by its peer, and the deploy check
(``support.checks``) says so. HTTP requests and websocket scopes go through the
same ``client_ip`` function.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings

logger = logging.getLogger("hearth.client_ip")

#: Headers that carry a client address when a proxy forwards a request.
FORWARDING_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")

_ignored_warned = False


@lru_cache(maxsize=16)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def trusted_networks() -> tuple:
    """``TRUSTED_PROXIES`` parsed (validated at start-up by the settings)."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def is_trusted_proxy(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in trusted_networks())


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(*, peer: str | None, headers: dict[str, str]) -> str:
    """The address to count a request by.

    ``peer`` is the TCP peer (``REMOTE_ADDR``, ``scope["client"][0]``);
    ``headers`` maps lower-case header names to values. The configured header
    counts only when the peer is a trusted proxy and the header holds one
    valid address (the last one of a list: the one the nearest proxy added).
    """
    peer = peer or "unknown"
    header = settings.CLIENT_IP_HEADER.lower()
    if header and settings.TRUSTED_PROXIES and is_trusted_proxy(peer):
        value = headers.get(header, "")
        if value:
            candidate = _valid_ip(value.split(",")[-1])
            if candidate is not None:
                return candidate
        return peer
    _warn_once_if_forwarded(headers)
    return peer


def _warn_once_if_forwarded(headers: dict[str, str]) -> None:
    """Say once per process that forwarding headers arrive and are not used.

    Behind a proxy without the two settings, every client shares the proxy's
    address and its per-IP limits; the log line says why.
    """
    global _ignored_warned
    if _ignored_warned:
        return
    present = [name for name in FORWARDING_HEADERS if name in headers]
    if present:
        _ignored_warned = True
        logger.warning(
            "requests carry %s but per-IP limits count the TCP peer: set CLIENT_IP_HEADER and "
            "TRUSTED_PROXIES to the header and addresses of your proxy (see README, Production)",
            ", ".join(present),
        )


def client_ip_from_meta(meta: dict) -> str:
    """``client_ip`` for a Django request's ``META``."""
    headers = {}
    for name in {settings.CLIENT_IP_HEADER.lower(), *FORWARDING_HEADERS} - {""}:
        value = meta.get("HTTP_" + name.upper().replace("-", "_"))
        if value:
            headers[name] = value
    return client_ip(peer=meta.get("REMOTE_ADDR") or None, headers=headers)


def client_ip_from_scope(scope: dict) -> str:
    """``client_ip`` for an ASGI scope (websockets)."""
    wanted = {settings.CLIENT_IP_HEADER.lower(), *FORWARDING_HEADERS} - {""}
    headers = {}
    for name, value in scope.get("headers", []):
        decoded = name.decode("latin-1").lower()
        if decoded in wanted:
            headers[decoded] = value.decode("latin-1")
    client = scope.get("client")
    return client_ip(peer=client[0] if client else None, headers=headers)


def client_ip_from_request(request) -> str:
    """``client_ip`` for a Django or DRF request."""
    return client_ip_from_meta(getattr(request, "_request", request).META)
