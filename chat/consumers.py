"""The seeker and listener socket, ``/ws/v1/chat/``.

Thin by design: ``connect`` checks who is there and joins only that user's
groups; frames are dispatched by ``type`` to the handlers in
``chat.frames`` and those the apps above chat register (``chat_socket_frames_register``:
the listener console's, safety's); group events are forwarded only for
conversations this socket has joined. The frames are documented in
docs/protocol.md.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured

from chat import frames as chat_frames
from chat import selectors
from chat.events import conversation_group
from chat.listener_pool import listener_pool
from chat.payloads import hello_payload
from chat.services.requests import request_seeker_left, request_seeker_returned
from support import presence
from support.models import Connection, Role
from support.session_events import session_group, user_group
from support.ws import CloseCode, FrameConsumer

logger = logging.getLogger("hearth.chat")


class ConversationSocket(FrameConsumer):
    """What every socket that takes part in conversations shares (chat and staff sockets).

    Membership of ``conversation.<id>`` groups, forwarding only frames for
    conversations this socket joined (and, when an event names a role, only to
    that role), leaving on request, and the presence heartbeat.
    """

    presence_model = Connection  # refreshed for every socket of the process at once (support.presence_heartbeat)

    @property
    def socket_role(self) -> str:
        return self.user.role

    async def on_heartbeat(self) -> bool:
        """Our presence row was missing (swept after a stall): write it again."""
        await database_sync_to_async(presence.connection_open)(user_id=self.user.pk, channel_name=self.channel_name)
        return True

    async def join_conversation(self, conversation_id: int) -> None:
        self.conversations.add(conversation_id)
        await self.join_group(conversation_group(conversation_id))

    async def leave_conversation(self, conversation_id: int) -> None:
        self.conversations.discard(conversation_id)
        await self.leave_group(conversation_group(conversation_id))

    async def deliver(self, event: dict) -> None:
        """Forward a frame built by a payload function; conversation frames only where joined."""
        if event.get("exclude") == self.channel_name:
            return
        if event.get("skip_origin") and event.get("origin") == self.channel_name:
            return  # this socket sent the frame as its direct reply
        if event.get("role") is not None and event["role"] != self.socket_role:
            return
        conversation_id = event.get("conversation")
        if conversation_id is not None and conversation_id not in self.conversations:
            return
        await self.send_json(event["frame"])

    async def conversation_leave(self, event: dict) -> None:
        conversation_id = event["conversation"]
        if conversation_id in self.conversations:
            await self.leave_conversation(conversation_id)
            if event.get("frame"):
                await self.send_json(event["frame"])


class ChatConsumer(ConversationSocket):
    # chat's own frames; the apps above chat add theirs with chat_socket_frames_register().
    handlers = dict(chat_frames.HANDLERS)
    frame_fields = dict(chat_frames.FIELDS)

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.user = user
        self.conversations: set[int] = set()
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CloseCode.UNAUTHENTICATED)
            return
        if user.role not in (Role.SEEKER, Role.LISTENER) or not user.is_active:
            await self.close(code=CloseCode.FORBIDDEN)
            return
        # Groups first, so nothing sent after the state is read below can be missed.
        await self.join_group(user_group(user.pk))
        session = self.scope.get("session")
        if session is not None and session.session_key:
            await self.join_group(session_group(session.session_key))
        state = await database_sync_to_async(self._open)(user)
        if state is None:
            await self.close(code=CloseCode.ACCESS_REVOKED)
            return
        for conversation_id in state.conversation_ids:
            await self.join_conversation(conversation_id)
        await self.send_json(hello_payload(user, state))
        self.start_heartbeat()

    def _open(self, user) -> selectors.SocketState | None:
        """The socket's database work, in one trip to the database thread (a reconnect storm is
        thousands of these): refuse a suspended listener, record presence, read the state."""
        if user.role == Role.LISTENER and listener_pool().is_suspended(user.pk):
            return None
        presence.connection_open(user_id=user.pk, channel_name=self.channel_name)
        if user.role == Role.SEEKER:
            request_seeker_returned(seeker_id=user.pk)  # back in line at once, at their old place
        return selectors.socket_state_for_user(user)

    def _close(self) -> None:
        presence.connection_close(channel_name=self.channel_name)
        if self.user.role == Role.SEEKER:
            request_seeker_left(seeker_id=self.user.pk)

    async def disconnect(self, code) -> None:
        self.stop_heartbeat()
        await self.leave_all_groups()
        if getattr(self, "user", None) is not None and self.user.is_authenticated:
            await database_sync_to_async(self._close)()

    async def conversation_join(self, event: dict) -> None:
        await chat_frames.on_conversation_join(self, event)


def chat_socket_frames_register(*, handlers: dict, fields: dict) -> None:
    """Answer more frame types on the chat socket; called from the ``ready()`` of an app above chat.

    ``fields`` names, for each frame type, the fields it takes besides ``type`` and ``ref``
    (``support.ws.check_fields``). A frame type has exactly one handler: registering one twice raises.
    """
    if handlers.keys() != fields.keys():
        raise ImproperlyConfigured("Every chat-socket frame handler needs its field list, and only those.")
    taken = handlers.keys() & ChatConsumer.handlers.keys()
    if taken:
        raise ImproperlyConfigured(f"Chat-socket frame types registered twice: {sorted(taken)}")
    ChatConsumer.handlers.update(handlers)
    ChatConsumer.frame_fields.update(fields)
