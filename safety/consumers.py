"""The safety-staff socket, ``/ws/v1/staff/``.

Only users with ``support.safety_review`` (4401 when not signed in, 4403
otherwise). On connect the socket joins ``safety.staff`` first and only then
reads every unresolved alert from the database for ``hello``: an alert raised
while the socket connects is either in that read or arrives live through the
group (possibly both; clients key alerts by id), never in neither. Alerts
raised while nobody was connected, or lost by the channel layer, arrive in
``hello``. Frames are documented in docs/protocol.md.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from django.utils import timezone

from chat.consumers import ConversationSocket
from safety import selectors
from safety.audit import audit_record
from safety.payloads import alert_payload
from safety.services import STAFF_GROUP
from safety.staff_frames import FIELDS, HANDLERS
from support import presence
from support.paging import budget_for, take_within
from support.roles import is_safety_staff
from support.session_events import session_group, user_group
from support.ws import PROTOCOL_VERSION, CloseCode

logger = logging.getLogger("hearth.safety")


def _connect_state(user) -> dict:
    """What ``hello`` carries; read only after the socket has joined the staff group."""
    now = timezone.now()
    flags = selectors.alerts_open()
    # hello carries excerpts of people's words: a read like the queue's, so audited like it.
    audit_record(
        actor=user,
        action="queue.read",
        target_type="queue",
        target_id=0,
        data={"flags": [flag.pk for flag in flags], "via": "staff socket"},
        now=now,
    )
    alerts = [
        alert_payload(
            flag,
            topic_slug=flag.conversation.topic.slug if flag.conversation_id and flag.conversation.topic_id else None,
            now=now,
        )
        for flag in flags
    ]
    return {"alerts": alerts, "conversations": selectors.staff_conversation_ids(user.pk)}


def hello_payload(user, state: dict) -> dict:
    """The staff ``hello``: the open alerts, most severe then oldest, as many as fit in one frame
    (``support.paging``); ``alerts_has_more`` says the rest are in the REST review queue."""
    frame = {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "user": {"id": user.pk, "alias": user.alias, "role": "staff"},
        "alerts": [],
        "alerts_has_more": False,
        "conversations": state["conversations"],
    }
    alerts = take_within(state["alerts"], budget_for(frame))
    frame["alerts"] = alerts
    frame["alerts_has_more"] = len(alerts) < len(state["alerts"])
    return frame


class StaffConsumer(ConversationSocket):
    handlers = HANDLERS
    frame_fields = FIELDS
    socket_role = "staff"

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.user = user
        self.conversations: set[int] = set()
        self._present = False
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CloseCode.UNAUTHENTICATED)
            return
        if not await database_sync_to_async(is_safety_staff)(user):
            await self.close(code=CloseCode.FORBIDDEN)
            return
        await self.join_group(STAFF_GROUP)
        await self.join_group(user_group(user.pk))
        session = self.scope.get("session")
        if session is not None and session.session_key:
            await self.join_group(session_group(session.session_key))
        state = await database_sync_to_async(_connect_state)(user)
        for conversation_id in state["conversations"]:
            await self.join_conversation(conversation_id)
        await database_sync_to_async(presence.connection_open)(user_id=user.pk, channel_name=self.channel_name)
        self._present = True
        await self.send_json(hello_payload(user, state))
        self.start_heartbeat()

    async def disconnect(self, code) -> None:
        self.stop_heartbeat()
        await self.leave_all_groups()
        if self._present:
            await database_sync_to_async(presence.connection_close)(channel_name=self.channel_name)

    async def conversation_join(self, event: dict) -> None:
        """Chat's seeker/listener join event; staff join through their own frame."""
