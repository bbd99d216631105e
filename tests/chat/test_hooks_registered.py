"""The hooks chat exposes are filled by the apps above it: every chat message goes through the
screener safety registers (without one, nothing is delivered), matching and the chat socket read
the listeners on duty through the listener program's pool, and the chat socket answers the
listener console's and safety's frames."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from chat import blocks as blocks_seam
from chat import listener_pool as pool_seam
from chat import message_sql
from chat import mutes as mutes_seam
from chat import screener as screener_seam
from chat.blocks import block_reader
from chat.consumers import ChatConsumer, chat_socket_frames_register
from chat.dispatch import line_notified_hooks, requests_dispatch, wants_for
from chat.listener_pool import listener_pool
from chat.models import Message
from chat.selectors import socket_state_readers
from chat.services.conversations import conversation_closed_hooks
from chat.services.messages import message_send
from chat.services.requests import request_create
from listeners import frames as listener_frames
from listeners.chat_pool import ListenersOnDuty
from listeners.queue_sizes import queue_sizes_notify
from listeners.selectors import socket_state_console
from listeners.wellbeing import after_conversation_closed
from safety import chat_frames as safety_frames
from safety.chat_policy import SafetyBlockReader, SafetyMessageScreener
from safety.models import SafetyFlag
from safety.selectors import mute_in_force_ends, socket_state_risk_and_warnings
from tests.factories import SeekerFactory
from tests.safety.helpers import CRISIS, matched_pair


def test_the_running_app_screens_chat_messages_with_safetys_screener():
    assert isinstance(screener_seam.message_screener(), SafetyMessageScreener)


@pytest.mark.django_db
def test_without_a_registered_screener_a_crisis_message_is_refused_not_delivered_unscreened(monkeypatch):
    seeker, listener, conversation = matched_pair()
    monkeypatch.setattr(screener_seam.MESSAGE_SCREENER, "implementation", None)
    with pytest.raises(ImproperlyConfigured):
        message_send(sender=seeker, conversation_id=conversation.pk, client_id="c1", text=CRISIS)
    assert not Message.objects.filter(conversation=conversation, client_id="c1").exists()
    assert not SafetyFlag.objects.filter(conversation=conversation).exists()


def test_start_up_checks_fail_without_a_screener(monkeypatch):
    assert "chat.E001" not in {message.id for message in run_checks()}
    monkeypatch.setattr(screener_seam.MESSAGE_SCREENER, "implementation", None)
    assert "chat.E001" in {message.id for message in run_checks()}


def test_a_second_screener_cannot_replace_the_first():
    with pytest.raises(ImproperlyConfigured):
        screener_seam.message_screener_register(SafetyMessageScreener())
    assert isinstance(screener_seam.message_screener(), SafetyMessageScreener)


def test_the_chat_socket_answers_the_listener_consoles_and_safetys_frames():
    for app_frames in (listener_frames, safety_frames):
        for frame_type, handler in app_frames.HANDLERS.items():
            assert ChatConsumer.handlers[frame_type] is handler
            assert ChatConsumer.frame_fields[frame_type] == app_frames.FIELDS[frame_type]


def test_a_chat_socket_frame_type_cannot_be_taken_twice():
    with pytest.raises(ImproperlyConfigured):
        chat_socket_frames_register(handlers=safety_frames.HANDLERS, fields=safety_frames.FIELDS)
    assert ChatConsumer.handlers["conversation.flag"] is safety_frames.conversation_flag


def test_a_sockets_hello_reads_the_listener_console_and_safety_state():
    assert socket_state_console in socket_state_readers
    assert socket_state_risk_and_warnings in socket_state_readers


def test_ending_a_conversation_gives_its_listener_the_debrief_pause_of_the_listener_program():
    assert after_conversation_closed in conversation_closed_hooks


def test_the_sender_check_reads_safetys_mute_rule():
    assert mutes_seam.mute_in_force_ends() is mute_in_force_ends


def test_without_a_mute_rule_the_sender_check_cannot_be_built_and_start_up_checks_fail(monkeypatch):
    assert "chat.E004" not in {message.id for message in run_checks()}
    monkeypatch.setattr(mutes_seam.MUTE_IN_FORCE_ENDS, "implementation", None)
    assert "chat.E004" in {message.id for message in run_checks()}
    with pytest.raises(ImproperlyConfigured):
        message_sql._sender_query(SimpleNamespace(conversation_id=1, user_id=1, now=timezone.now()))


def test_matching_reads_blocks_through_safetys_reader():
    assert isinstance(block_reader(), SafetyBlockReader)


def test_without_a_block_reader_matching_refuses_rather_than_ignore_blocks(monkeypatch):
    assert "chat.E002" not in {message.id for message in run_checks()}
    monkeypatch.setattr(blocks_seam.BLOCK_READER, "implementation", None)
    assert "chat.E002" in {message.id for message in run_checks()}
    with pytest.raises(ImproperlyConfigured):
        wants_for([], now=timezone.now())


def test_matching_reads_the_listeners_on_duty_through_the_listener_programs_pool():
    assert isinstance(listener_pool(), ListenersOnDuty)


@pytest.mark.django_db
def test_without_a_listener_pool_start_up_checks_fail_and_matching_refuses(monkeypatch):
    assert "chat.E003" not in {message.id for message in run_checks()}
    monkeypatch.setattr(pool_seam.LISTENER_POOL, "implementation", None)
    assert "chat.E003" in {message.id for message in run_checks()}
    request_create(seeker=SeekerFactory(), topic_slug=None)
    with pytest.raises(ImproperlyConfigured):
        requests_dispatch()


def test_a_second_listener_pool_cannot_replace_the_first():
    with pytest.raises(ImproperlyConfigured):
        pool_seam.listener_pool_register(ListenersOnDuty())
    assert isinstance(listener_pool(), ListenersOnDuty)


def test_listeners_on_shift_hear_their_queue_sizes_whenever_the_line_is_sent_out():
    assert queue_sizes_notify in line_notified_hooks
