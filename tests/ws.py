"""Helpers for websocket tests against the real ASGI application."""

from __future__ import annotations

from contextlib import asynccontextmanager

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (b"host", b"127.0.0.1")  # a browser always sends it; the origin check compares it with the Origin


def _session_cookie_for(user) -> bytes:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


async def cookie_for(user) -> bytes:
    return await sync_to_async(_session_cookie_for)(user)


@asynccontextmanager
async def connected(
    user=None, *, path: str = "/ws/v1/chat/", origin: bytes = b"http://127.0.0.1", expect_hello: bool = True
):
    """A communicator on the real application, logged in as ``user``; always disconnects."""
    from support.asgi import application

    headers = [(b"origin", origin), HOST]
    session_key = None
    if user is not None:
        cookie = await cookie_for(user)
        session_key = cookie.split(b"=", 1)[1].decode()
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected_ok, _ = await communicator.connect(timeout=5)
    communicator.accepted = connected_ok
    communicator.session_key = session_key
    try:
        if connected_ok and expect_hello:
            communicator.hello = await communicator.receive_json_from(timeout=5)
        yield communicator
    finally:
        await communicator.disconnect()


async def receive_until(communicator, frame_type: str, *, timeout: float = 5, skip: int = 50) -> dict:
    """Receive frames until one of ``frame_type`` (others are discarded)."""
    for _ in range(skip):
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("type") == frame_type:
            return frame
    raise AssertionError(f"no {frame_type} frame")
