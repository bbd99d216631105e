"""The room socket, ``/ws/v1/rooms/<room_id>/``.

Thin by design: ``connect`` joins the room through ``rooms.services.room_join``
(audience, removal and capacity are checked there, under the room lock),
joins only this room's groups and this user's own groups, and sends
``room.hello``. Frames are dispatched by ``type`` to ``rooms.frames``. Group
events are forwarded only once the hello went out; moderators skip the member
version of a frame they receive in full through the moderators' group.
"""

from __future__ import annotations

import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async

from rooms import frames
from rooms.events import member_group, moderators_group, room_group
from rooms.models import RoomPresence
from rooms.services import room_join, room_leave, room_presence_heartbeat
from support.errors import DomainError, NotFoundOrForbidden
from support.events import run_service
from support.models import Role
from support.session_events import session_group, user_group
from support.ws import CloseCode, FrameConsumer

logger = logging.getLogger("hearth.rooms")


class RoomConsumer(FrameConsumer):
    handlers = frames.HANDLERS
    frame_fields = frames.FIELDS
    presence_model = RoomPresence  # refreshed for every socket of the process at once (support.presence_heartbeat)

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.room_id: int | None = None
        self.room_topic: str | None = None
        self.room_audience: str | None = None
        self.moderator = False
        self.presence = None
        self.joined = False
        await self.accept()
        user = self.user
        if user is None or not user.is_authenticated:
            await self.close(code=CloseCode.UNAUTHENTICATED)
            return
        if user.role not in (Role.SEEKER, Role.LISTENER) or not user.is_active:
            await self.close(code=CloseCode.FORBIDDEN)
            return
        raw_id = str(self.scope["url_route"]["kwargs"].get("room_id", ""))
        if not raw_id.isdigit() or not 0 < int(raw_id) < 2**63:
            await self.close(code=CloseCode.NOT_FOUND)
            return
        self.room_id = int(raw_id)
        # Join the groups before the presence row exists, so nothing sent after
        # our join is missed; frames are only forwarded once hello went out.
        await self.join_group(room_group(self.room_id))
        await self.join_group(member_group(self.room_id, user.pk))
        if not await self._join():
            return
        await self.join_group(user_group(user.pk))
        session = self.scope.get("session")
        if session is not None and session.session_key:
            await self.join_group(session_group(session.session_key))
        hello = await database_sync_to_async(frames.hello_payload)(
            user=user, room_id=self.room_id, moderator=self.moderator, presence=self.presence
        )
        self.presence = None
        await self.send_json(hello)
        self.joined = True
        self.start_heartbeat()

    async def _join(self) -> bool:
        """Record presence; on refusal say why and close with the documented code."""
        try:
            result = await run_service(room_join, user=self.user, room_id=self.room_id, channel_name=self.channel_name)
        except NotFoundOrForbidden:
            await self._refuse(CloseCode.NOT_FOUND)
            return False
        except DomainError as exc:
            await self.send_error(exc.code, exc.message, **exc.extra)
            code = CloseCode.TOO_MANY_CONNECTIONS if exc.code == "room_full" else CloseCode.FORBIDDEN
            await self._refuse(code)
            return False
        self.moderator = result.moderator
        self.presence = result.presence
        self.room_topic = result.room.topic.slug
        self.room_audience = result.room.audience
        if self.moderator:
            await self.join_group(moderators_group(self.room_id))
        return True

    async def _refuse(self, code: int) -> None:
        self.joined = False
        await self.leave_all_groups()
        await self.close(code=code)

    async def disconnect(self, code) -> None:
        self.stop_heartbeat()
        await self.leave_all_groups()
        if self.room_id is not None and getattr(self, "user", None) is not None and self.user.is_authenticated:
            await run_service(room_leave, channel_name=self.channel_name)

    async def on_heartbeat(self) -> bool:
        """Called when our presence row was missing from the process heartbeat's refresh."""
        alive = await database_sync_to_async(room_presence_heartbeat)(channel_name=self.channel_name)
        # Swept after a stall: come back, or say why not and stop beating.
        return alive or await self._join()

    async def dispatch(self, message: dict) -> None:
        # The user's own group also carries one-to-one chat events meant for
        # the chat socket; this socket ignores event types it has no handler for
        # instead of failing on them.
        if getattr(self, get_handler_name(message), None) is None:
            logger.debug("room socket ignores %s", message.get("type"))
            return
        await super().dispatch(message)

    # --- group events -------------------------------------------------------
    async def room_deliver(self, event: dict) -> None:
        """Forward a frame built by rooms.payloads (encoded once, by rooms.events)."""
        if not self.joined:
            return
        if event.get("skip_moderators") and self.moderator:
            return
        await self.send(text_data=event["text"])

    async def room_kick(self, event: dict) -> None:
        """This member was removed: say so, then close."""
        self.joined = False
        await self.send_json(event["frame"])
        await self.close(code=event.get("code", CloseCode.FORBIDDEN))
