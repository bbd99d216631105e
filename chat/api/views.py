"""REST for chat: my conversations, a conversation's messages, my request. Participants only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors
from chat.api.serializers import (
    ConversationOut,
    ConversationsQuery,
    MessagesPageOut,
    MessagesQuery,
    RequestCreateIn,
    RequestOut,
)
from chat.payloads import conversation_payload
from chat.services import requests as request_services
from support.api.serializers import ErrorOut
from support.client_ip import client_ip_from_request
from support.errors import DomainError


class ConversationListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My conversations, newest first",
        parameters=[ConversationsQuery],
        responses={200: ConversationOut(many=True)},
    )
    def get(self, request):
        query = ConversationsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data["status"]
        conversations = selectors.conversations_for_user(user=request.user, include_ended=wanted not in ("open",))
        if wanted not in ("all", "open"):
            conversations = [c for c in conversations if c.status == wanted]
        return Response([conversation_payload(c, for_user_id=request.user.pk) for c in conversations])


class ConversationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One of my conversations", responses={200: ConversationOut, 404: ErrorOut})
    def get(self, request, conversation_id: int):
        conversation = selectors.conversation_get_for_participant(user=request.user, conversation_id=conversation_id)
        return Response(conversation_payload(conversation, for_user_id=request.user.pk))


class MessageListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Messages after a sequence number (paging: pass the last seq you hold)",
        parameters=[MessagesQuery],
        responses={200: MessagesPageOut, 404: ErrorOut},
    )
    def get(self, request, conversation_id: int):
        query = MessagesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        conversation = selectors.conversation_get_for_participant(user=request.user, conversation_id=conversation_id)
        messages = selectors.messages_after(
            conversation=conversation, after_seq=query.validated_data["after_seq"], limit=query.validated_data["limit"]
        )
        return Response(
            {
                "conversation": conversation.pk,
                "messages": selectors.messages_payload(messages, conversation.pk),
                "last_seq": conversation.last_seq,
                "has_more": bool(messages) and messages[-1].seq < conversation.last_seq,
            }
        )


class MyRequestView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="My place in line (404 when not waiting)", responses={200: RequestOut, 404: ErrorOut})
    def get(self, request):
        open_request = selectors.request_open_for_seeker(seeker_id=request.user.pk)
        if open_request is None:
            raise DomainError("no_open_request", request_services.NO_OPEN_REQUEST, status=404)
        return Response(request_services.request_status(open_request))

    @extend_schema(
        summary="Ask for someone to talk to",
        request=RequestCreateIn,
        responses={201: RequestOut, 400: ErrorOut, 409: ErrorOut},
    )
    def post(self, request):
        data = RequestCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = request_services.request_create(
            seeker=request.user,
            topic_slug=data.validated_data.get("topic") or None,
            listener_alias=data.validated_data.get("listener") or None,
            note=data.validated_data.get("note", ""),
            address=client_ip_from_request(request),
        )
        created.refresh_from_db()
        return Response(request_services.request_status(created), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Leave the line", request=None, responses={204: None, 409: ErrorOut})
    def delete(self, request):
        request_services.request_cancel(seeker=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
