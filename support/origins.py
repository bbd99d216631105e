"""Which page origins may open a websocket.

``WS_ALLOWED_ORIGINS`` (comma-separated, like ``https://hearth.example``)
when set; otherwise the hosts in ``ALLOWED_HOSTS``. An explicit list keeps
sockets safe even when ``ALLOWED_HOSTS`` has to be broad behind a proxy.
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator

from support.env import env_list


def origin_validator(app):
    origins = env_list("WS_ALLOWED_ORIGINS")
    if not origins:
        return AllowedHostsOriginValidator(app)
    # OriginValidator matches host patterns, optionally with scheme and port.
    patterns = []
    for origin in origins:
        parsed = urlparse(origin if "://" in origin else f"//{origin}")
        if parsed.scheme:
            patterns.append(f"{parsed.scheme}://{parsed.netloc}")
        else:
            patterns.append(parsed.netloc)
    return OriginValidator(app, patterns)
