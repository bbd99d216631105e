"""In-process socket helpers for the hardening tests (the real ASGI app, like tests/ws.py)."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

from tests.ws import cookie_for


async def open_socket(
    user=None,
    *,
    path: str = "/ws/v1/chat/",
    origin: bytes = b"http://127.0.0.1",
    ip: str | None = None,
    app=None,
    peer: str = "127.0.0.1",
    host: bytes | None = b"127.0.0.1",
):
    """Open a socket and return (communicator, accepted). The caller must ``disconnect()``.

    ``peer`` is the TCP peer the server sees; ``ip`` goes in ``X-Real-IP``
    (counted only when the peer is in ``TRUSTED_PROXIES``); ``host`` is the
    ``Host`` header."""
    if app is None:
        from support.asgi import application as app
    headers = [(b"origin", origin)] if origin else []
    if ip is not None:
        headers.append((b"x-real-ip", ip.encode()))
    if user is not None:
        headers.append((b"cookie", await cookie_for(user)))
    if host is not None:
        headers.append((b"host", host))
    communicator = WebsocketCommunicator(app, path, headers=headers)
    communicator.scope["client"] = (peer, 40000)  # read when the application starts, at connect()
    accepted, _ = await communicator.connect(timeout=5)
    return communicator, accepted


async def refused_with(communicator, code: int) -> dict | None:
    """The error frame sent before a close (None if there was none); asserts the close code."""
    error = None
    output = await communicator.receive_output(timeout=5)
    if output["type"] == "websocket.send":
        import json

        error = json.loads(output["text"])
        output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": code}, output
    return error
