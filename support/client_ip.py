"""The client's address, for per-IP limits only (never stored on a user)."""

from __future__ import annotations

from django.conf import settings


def client_ip_from_meta(meta: dict) -> str:
    header = settings.CLIENT_IP_HEADER
    if header:
        value = meta.get("HTTP_" + header.upper().replace("-", "_"), "")
        if value:
            return value.split(",")[0].strip()
    return meta.get("REMOTE_ADDR", "") or "unknown"


def client_ip_from_scope(scope: dict) -> str:
    header = settings.CLIENT_IP_HEADER
    if header:
        wanted = header.lower().encode()
        for name, value in scope.get("headers", []):
            if name == wanted:
                return value.decode("latin-1").split(",")[0].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"
