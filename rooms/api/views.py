"""Room REST endpoints. Each view validates, calls one service or selector, serializes."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from rooms import selectors, services
from rooms.api.serializers import (
    ModerationActionOut,
    ModeratorGrantIn,
    ReportedRoomMessagesOut,
    RoomCreateIn,
    RoomMessagesOut,
    RoomOut,
    RoomReportsQuery,
    StaffRoomReportsQuery,
)
from rooms.models import Room
from rooms.payloads import iso, room_payload
from support.api.serializers import ErrorOut
from support.errors import DomainError, NotFoundOrForbidden
from support.roles import can_manage_rooms, is_safety_staff


def _positive_int(request, name: str, *, default=None, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 0 < int(raw) < 2**63 or (maximum is not None and int(raw) > maximum):
        bound = f"1–{maximum}" if maximum is not None else "a positive whole number"
        raise DomainError("invalid_field", f"'{name}' must be {bound}.", field=name)
    return int(raw)


def _room_for_viewer(user, room_id: int) -> Room:
    """Room managers see every room; everyone else only rooms for their audience."""
    if can_manage_rooms(user):
        room = Room.objects.select_related("topic").filter(pk=room_id).first()
        if room is None:
            raise NotFoundOrForbidden()
        return room
    return selectors.room_get_for_user(user=user, room_id=room_id)


def _detail(room: Room, *, user, now) -> dict:
    state = selectors.room_state(room, now=now)
    payload = room_payload(room, state=state)
    if not state.open or payload["full"]:
        payload["alternatives"] = selectors.alternatives_for(room, user=user, now=now)
    return payload


class RoomListView(APIView):
    @extend_schema(
        summary="Rooms for your audience (room managers: all, filterable by audience)",
        parameters=[
            OpenApiParameter("topic", str, description="Only rooms on this topic (slug)."),
            OpenApiParameter("audience", str, description="Room managers only: teen or adult."),
        ],
        responses={200: RoomOut(many=True)},
    )
    def get(self, request):
        now = timezone.now()
        topic = request.query_params.get("topic") or None
        if can_manage_rooms(request.user):
            rooms = Room.objects.select_related("topic").prefetch_related("hours")
            if topic:
                rooms = rooms.filter(topic__slug=topic)
            audience = request.query_params.get("audience")
            if audience:
                rooms = rooms.filter(audience=audience)
            rooms = list(rooms)
        else:
            rooms = selectors.rooms_for_user(user=request.user, topic=topic)
        states = selectors.room_states(rooms, now=now)
        return Response([room_payload(room, state=states[room.pk]) for room in rooms])

    @extend_schema(
        summary="Create a room (room managers)",
        request=RoomCreateIn,
        responses={201: RoomOut, 400: ErrorOut, 403: ErrorOut},
    )
    def post(self, request):
        if not can_manage_rooms(request.user):
            raise DomainError("forbidden", "You don't have access to this.", status=403)
        data = RoomCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        room = services.room_create(
            actor=request.user,
            topic_slug=values["topic"],
            audience=values["audience"],
            name=values["name"],
            guideline=values["guideline"],
            capacity=values["capacity"],
            hours=values["hours"],
        )
        return Response(_detail(room, user=request.user, now=timezone.now()), status=status.HTTP_201_CREATED)


class RoomDetailView(APIView):
    @extend_schema(
        summary="One room: open or closed, next opening, members present", responses={200: RoomOut, 404: ErrorOut}
    )
    def get(self, request, room_id: int):
        room = _room_for_viewer(request.user, room_id)
        return Response(_detail(room, user=request.user, now=timezone.now()))


class RoomMessagesView(APIView):
    @extend_schema(
        summary="Page back through a room's messages (members)",
        parameters=[
            OpenApiParameter("before_seq", int, description="Messages with a smaller seq (default: the newest)."),
            OpenApiParameter("limit", int, description="1–ROOMS_HISTORY_PAGE_MAX (default 50)."),
        ],
        responses={200: RoomMessagesOut, 400: ErrorOut, 404: ErrorOut},
    )
    def get(self, request, room_id: int):
        before_seq = _positive_int(request, "before_seq")
        limit = _positive_int(
            request, "limit", default=settings.ROOMS_JOIN_HISTORY, maximum=settings.ROOMS_HISTORY_PAGE_MAX
        )
        room, _ = selectors.room_get_for_member(user=request.user, room_id=room_id)
        moderator = selectors.is_room_moderator(user=request.user, room=room)
        before = before_seq if before_seq is not None else room.last_seq + 1
        messages = selectors.messages_before(room, before_seq=before, limit=limit)
        return Response(
            {
                "messages": selectors.payloads_for(messages, viewer_id=request.user.pk, moderator=moderator),
                "has_more": bool(messages) and messages[0].seq > 1,
                "last_seq": room.last_seq,
            }
        )


class RoomModeratorsView(APIView):
    @extend_schema(
        summary="Grant a listener moderation in a room (room managers)",
        request=ModeratorGrantIn,
        responses={201: dict, 400: ErrorOut, 403: ErrorOut},
    )
    def post(self, request, room_id: int):
        if not can_manage_rooms(request.user):
            raise DomainError("forbidden", "You don't have access to this.", status=403)
        data = ModeratorGrantIn(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.room_moderator_grant(
            actor=request.user, room_id=room_id, listener_alias=data.validated_data["listener"]
        )
        return Response({"room": room_id, "listener": grant.listener.alias}, status=status.HTTP_201_CREATED)


class StaffRoomModerationView(APIView):
    @extend_schema(
        summary="A room's moderation audit trail (safety staff and room managers)",
        responses={200: ModerationActionOut(many=True), 403: ErrorOut, 404: ErrorOut},
    )
    def get(self, request, room_id: int):
        if not (is_safety_staff(request.user) or can_manage_rooms(request.user)):
            raise DomainError("forbidden", "You don't have access to this.", status=403)
        if not Room.objects.filter(pk=room_id).exists():
            raise NotFoundOrForbidden()
        records = selectors.moderation_log(room_id=room_id)
        return Response(
            [
                {
                    "id": record.pk,
                    "action": record.action,
                    "actor": record.actor.alias if record.actor_id else None,
                    "target": record.target_user.alias if record.target_user_id else None,
                    "message_seq": record.detail.get("seq"),
                    "detail": record.detail,
                    "created_at": iso(record.created_at),
                }
                for record in records
            ]
        )


def _reported(request, query_class, *, room_id: int | None) -> Response:
    query = query_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    values = query.validated_data
    messages, has_more = selectors.reported_room_messages(
        user=request.user, room_id=values.get("room", room_id), status=values.get("status"), limit=values["limit"]
    )
    return Response(ReportedRoomMessagesOut({"messages": messages, "has_more": has_more}).data)


class StaffRoomReportsView(APIView):
    @extend_schema(
        summary="Reported room messages in every room, with each report's reason (safety staff)",
        description="Most recently reported first. Reporters appear by alias only.",
        parameters=[StaffRoomReportsQuery],
        responses={200: ReportedRoomMessagesOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    )
    def get(self, request):
        return _reported(request, StaffRoomReportsQuery, room_id=None)


class RoomReportsView(APIView):
    @extend_schema(
        summary="Reported messages in one room, with each report's reason (its moderators and safety staff)",
        description="Most recently reported first. Moderators do not see who reported; safety staff see the alias.",
        parameters=[RoomReportsQuery],
        responses={200: ReportedRoomMessagesOut, 400: ErrorOut, 404: ErrorOut},
    )
    def get(self, request, room_id: int):
        return _reported(request, RoomReportsQuery, room_id=room_id)
