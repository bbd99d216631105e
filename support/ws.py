"""The base for Hearth's websocket consumers.

Every frame is a JSON object with a ``type``. Anything else — binary frames,
bad JSON, oversize frames, unknown types, missing or ill-typed fields — gets
an ``error`` frame with a code and the connection stays open. Handlers raise
``FrameError``/``DomainError`` for domain refusals; an unexpected exception is
logged and answered with ``internal_error`` rather than a 1011 close.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.core.exceptions import PermissionDenied

from support.conflicts import BUSY_MESSAGE, BUSY_RETRY_AFTER, is_lock_conflict
from support.connection_limits import TOO_MANY_CONNECTIONS_MESSAGE, connection_admit, connection_release
from support.errors import DomainError
from support.events import follow_ups_run, frame_follow_ups
from support.presence_heartbeat import layer_trouble, process_heartbeat
from support.text_input import INVALID_TEXT, INVALID_TEXT_MESSAGE, is_valid_text

logger = logging.getLogger("hearth.ws")

try:  # what Daphne (through autobahn) raises when a reply goes to a socket the client closed
    from autobahn.exception import Disconnected as DaphnePeerGone
except ImportError:  # served by another ASGI server
    DaphnePeerGone = OSError

PROTOCOL_VERSION = 1


class CloseCode:
    """Application close codes (4000–4999), documented in docs/protocol.md."""

    UNAUTHENTICATED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    ACCESS_REVOKED = 4410
    TOO_MANY_CONNECTIONS = 4429
    SERVER_RESTART = 4503


class FrameError(DomainError):
    """A refusal answered with an error frame."""


Handler = Callable[[Any, dict], Awaitable[None]]

_MAX_DEPTH = 8
_MAX_INT = 2**53  # JSON numbers a browser can hold exactly


def _check_shape(value: Any, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        raise FrameError("invalid_frame", "The frame is nested too deeply.")
    if isinstance(value, str):
        if not is_valid_text(value):  # NUL, lone surrogates, C0 controls: never stored
            raise FrameError(INVALID_TEXT, INVALID_TEXT_MESSAGE)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not is_valid_text(key):
                raise FrameError(INVALID_TEXT, INVALID_TEXT_MESSAGE)
            _check_shape(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_shape(item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT:
        raise FrameError("invalid_frame", "A number in the frame is too large.")
    elif isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise FrameError("invalid_frame", "A number in the frame is not finite.")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


async def _receive_retrying(layer, channel_name: str):
    """The layer's receive, waiting out an outage instead of raising into the consumer."""
    delay = 0.5
    while True:
        try:
            return await layer.receive(channel_name)
        except (asyncio.CancelledError, StopConsumer):
            raise
        except Exception:
            logger.warning("channel layer receive failed; retrying in %.1fs", delay)
            layer_trouble()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5)


class FrameConsumer(AsyncJsonWebsocketConsumer):
    """Dispatch JSON frames by ``type`` to the handlers in ``handlers``."""

    handlers: dict[str, Handler] = {}
    #: The fields each frame type takes besides ``type`` and ``ref``; any other is refused
    #: (``unknown_field``), so a misspelt field is not silently ignored. Types not listed are not checked.
    frame_fields: dict[str, frozenset[str]] = {}
    _admission = None

    async def __call__(self, scope, receive, send):
        """As channels' ``AsyncConsumer.__call__``, but a channel layer outage does not fail the socket.

        With Redis down, channels-redis cannot subscribe a new channel (the
        handshake would fail with HTTP 500) and the core layer's receive raises
        (the consumer would die with 1011). Here the socket opens anyway and
        works for everything that does not need the layer (sending, syncing,
        acknowledgements); the layer receive is retried until Redis is back,
        and the process heartbeat (``support.presence_heartbeat``) re-joins
        every socket's groups.
        """
        self.scope = scope
        send = self._to_client(send)
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is None:
            return await super().__call__(scope, receive, send)
        try:
            self.channel_name = await self.channel_layer.new_channel()
        except Exception:
            logger.warning("channel layer unavailable while a socket opened; continuing without live events")
            layer_trouble()
            self.channel_name = f"specific.hearth-{uuid.uuid4().hex}"
        self.channel_receive = functools.partial(_receive_retrying, self.channel_layer, self.channel_name)
        self.base_send = send
        try:
            await await_many_dispatch([receive, self.channel_receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            self.stop_heartbeat()  # however the consumer ends, the process heartbeat forgets it

    async def dispatch(self, message):
        """As Channels' ``AsyncConsumer.dispatch``, without its ``aclose_old_connections()`` per message.

        Channels 4.2+ hops to the process's one database thread before every
        frame and every layer event, so each delivery waited in line behind
        whatever services were running there: under load, a chat message's
        delivery queued behind other people's writes. Every database call made
        here goes through ``database_sync_to_async``, which closes stale
        connections itself before and after it runs, so the hop bought nothing.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def _to_client(self, send):
        """Wrap the server's ``send``: a reply to a client already gone is not an error.

        A client that closes right after a frame (a closed tab, a flaky
        network) is gone before the reply goes out, and Daphne raises on
        ``send``. Unhandled, that ended the consumer before it read the
        ``websocket.disconnect`` already queued for it, so ``disconnect()``
        never ran and the person stayed "present" until the stale sweep. The
        frame's work is committed; the client resumes by sequence number.
        ASGI servers other than Daphne raise an ``OSError`` subclass.
        """

        async def send_to_client(message):
            if self.peer_gone:
                return
            try:
                await send(message)
            except (DaphnePeerGone, OSError):
                self.peer_gone = True
                logger.debug("client gone before a %s went out", message.get("type"))

        return send_to_client

    peer_gone = False
    _refused_by_limits = False

    # --- groups and heartbeat (shared by every Hearth socket) ----------------
    #: The presence table this socket's row lives in (a model with a unique
    #: ``channel_name`` and ``last_seen_at``), refreshed for every socket of the
    #: process at once by ``support.presence_heartbeat``; None: no presence row.
    presence_model = None

    @property
    def groups_joined(self) -> set[str]:
        if not hasattr(self, "_groups_joined"):
            self._groups_joined: set[str] = set()
        return self._groups_joined

    async def join_group(self, group: str) -> None:
        """Join ``group``; remembered first, so if the layer is down the heartbeat joins it later."""
        self.groups_joined.add(group)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            logger.warning("could not join a group; the heartbeat will retry", exc_info=True)
            layer_trouble()

    async def leave_group(self, group: str) -> None:
        self.groups_joined.discard(group)
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except Exception:
            logger.warning("could not leave a group", exc_info=True)

    async def leave_all_groups(self) -> None:
        for group in list(self.groups_joined):
            await self.leave_group(group)

    async def reassert_groups(self) -> None:
        """Add this socket to its groups again (raises if the layer refuses); the heartbeat calls it."""
        for group in list(self.groups_joined):
            await self.channel_layer.group_add(group, self.channel_name)

    def start_heartbeat(self) -> None:
        """Hand this socket to the process heartbeat (after its presence row exists)."""
        process_heartbeat().register(self)

    def stop_heartbeat(self) -> None:
        if getattr(self, "channel_name", None) is not None:
            try:
                process_heartbeat().unregister(self)
            except RuntimeError:  # no running loop: never registered
                pass

    async def on_heartbeat(self) -> bool:
        """This socket's own beat; return False to stop beating.

        The process heartbeat calls it when the socket's ``presence_model`` row
        was missing (re-create it, or re-join), and every beat for a class that
        has no ``presence_model`` but overrides this.
        """
        return True

    async def websocket_connect(self, message) -> None:
        """Apply the connection-flood limits (support.connection_limits) before ``connect``."""
        admission = await sync_to_async(connection_admit, thread_sensitive=False)(scope=self.scope)
        if not admission.allowed:
            logger.info("websocket refused: %s", admission.reason)
            self._refused_by_limits = True
            await self.accept()
            await self.send_error(
                "too_many_connections", TOO_MANY_CONNECTIONS_MESSAGE, retry_after=admission.retry_after
            )
            await self.close(code=CloseCode.TOO_MANY_CONNECTIONS)
            return
        self._admission = admission
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message) -> None:
        admission, self._admission = self._admission, None
        if admission is not None and admission.held:
            await sync_to_async(connection_release, thread_sensitive=False)(admission)
        if self._refused_by_limits:  # connect() never ran: nothing of the consumer's to undo
            raise StopConsumer()
        await super().websocket_disconnect(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if text_data is None:
            await self.send_error("binary_not_supported", "Send JSON text frames.")
            return
        if len(text_data) > settings.HEARTH_WS_MAX_FRAME_BYTES:
            await self.send_error(
                "frame_too_large", f"Frames are limited to {settings.HEARTH_WS_MAX_FRAME_BYTES} bytes."
            )
            return
        try:
            frame = json.loads(text_data, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            await self.send_error("malformed_json", "The frame is not valid JSON.")
            return
        ref = frame.get("ref") if isinstance(frame, dict) else None
        if not isinstance(ref, (str, int)) or isinstance(ref, bool) or (isinstance(ref, str) and len(ref) > 64):
            ref = None
        try:
            if not isinstance(frame, dict):
                raise FrameError("invalid_frame", "A frame is a JSON object with a 'type'.")
            _check_shape(frame)
            frame_type = frame.get("type")
            if not isinstance(frame_type, str) or not frame_type:
                raise FrameError("missing_type", "The frame has no 'type'.")
            handler = self.handlers.get(frame_type)
            if handler is None:
                raise FrameError("unknown_type", f"Unknown frame type {frame_type[:40]!r}.")
            check_fields(frame, self.frame_fields.get(frame_type))
            follow_ups = {}
            try:
                with frame_follow_ups() as follow_ups:
                    await handler(self, frame)
            finally:
                # After the reply (also when the handler failed after a service had committed), and
                # outside the frame's collection: what the follow-ups start runs as anywhere else.
                await follow_ups_run(follow_ups)
        except DomainError as exc:
            await self.send_error(exc.code, exc.message, ref=ref, **exc.extra)
        except PermissionDenied:
            await self.send_error("forbidden", "You don't have access to this.", ref=ref)
        except Exception as exc:
            if is_lock_conflict(exc):
                # Rolled back, nothing kept: the client sends the same frame again.
                logger.warning("lock conflict answered busy for a %s frame", frame.get("type"))
                await self.send_error("busy", BUSY_MESSAGE, ref=ref, retry_after=BUSY_RETRY_AFTER)
                return
            logger.exception("frame handler failed for %s", type(frame).__name__)
            await self.send_error("internal_error", "Something went wrong on our side; please retry.", ref=ref)

    async def send_error(self, code: str, message: str, *, ref: Any = None, **extra) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if ref is not None:
            frame["ref"] = ref
        frame.update({key: value for key, value in extra.items() if value is not None})
        await self.send_json(frame)

    async def reply(self, frame: dict, payload: dict) -> None:
        """Send ``payload``, echoing the request frame's ``ref`` so clients can correlate."""
        ref = frame.get("ref")
        if ref is not None and isinstance(ref, (str, int)) and not isinstance(ref, bool):
            payload = {**payload, "ref": ref}
        await self.send_json(payload)

    async def access_revoked(self, event: dict) -> None:
        await self.send_json({"type": "session.closed", "reason": event.get("reason", "revoked")})
        await self.close(code=CloseCode.ACCESS_REVOKED)


_ALWAYS_ALLOWED = frozenset({"type", "ref"})


def check_fields(frame: dict, allowed: frozenset[str] | None) -> None:
    """Refuse a field the frame type does not take (``unknown_field``, naming it)."""
    if allowed is None:
        return
    for name in frame:
        if name not in allowed and name not in _ALWAYS_ALLOWED:
            raise FrameError("unknown_field", f"This frame does not take '{str(name)[:40]}'.", field=str(name)[:64])


def require(frame: dict, name: str, kind: type | tuple[type, ...], *, optional: bool = False, default: Any = None):
    """Read one field of a frame, raising ``invalid_field`` for a wrong type."""
    if name not in frame or frame[name] is None:
        if optional:
            return default
        raise FrameError("missing_field", f"The frame needs '{name}'.", field=name)
    value = frame[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise FrameError("invalid_field", f"'{name}' has the wrong type.", field=name)
    if not isinstance(value, kinds):
        raise FrameError("invalid_field", f"'{name}' has the wrong type.", field=name)
    return value


def require_id(frame: dict, name: str, *, optional: bool = False) -> int | None:
    value = require(frame, name, int, optional=optional)
    if value is not None and not (0 < value < 2**63):
        raise FrameError("invalid_field", f"'{name}' must be a positive id.", field=name)
    return value
