"""ORM queries compiled once and run with new values: same SQL, same binding, same rows as the ORM."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from chat.models import Conversation, ConversationStatus
from support.compiled_query import CompiledQuery
from support.models import Connection, User
from tests.compiled_queries import assert_sql_independent_of_values
from tests.factories import SeekerFactory

pytestmark = pytest.mark.django_db

_SEEN = Connection._meta.get_field("last_seen_at")
_USER = Connection._meta.get_field("user")


def _connections_since(p):
    return (
        Connection.objects.filter(user_id=p.user_id, last_seen_at__gte=p.since)
        .order_by("id")
        .values_list("id", "user_id", "last_seen_at", "user__is_active")
    )


CONNECTIONS = CompiledQuery(_connections_since, user_id=_USER, since=_SEEN)


def test_the_sql_does_not_depend_on_the_values_and_binds_them_as_the_orm_does():
    now = timezone.now()
    assert_sql_independent_of_values(
        CONNECTIONS, {"user_id": 1, "since": now}, {"user_id": 2, "since": now - dt.timedelta(1)}
    )


def test_rows_come_back_as_the_orm_returns_them():
    seeker, other = SeekerFactory(), SeekerFactory()
    now = timezone.now()
    for user, seen in ((seeker, now), (seeker, now - dt.timedelta(hours=2)), (other, now)):
        Connection.objects.create(user=user, channel_name=f"c.{user.pk}.{seen.timestamp()}", last_seen_at=seen)
    since = now - dt.timedelta(hours=1)
    with connection.cursor() as cursor:
        compiled = CONNECTIONS.rows(cursor, user_id=seeker.pk, since=since)
    by_orm = list(_connections_since(type("P", (), {"user_id": seeker.pk, "since": since})))
    assert compiled == by_orm
    assert len(compiled) == 1
    assert compiled[0][2].tzinfo is not None and compiled[0][3] is True


def test_a_query_whose_sql_depends_on_a_value_is_refused():
    sliced = CompiledQuery(
        lambda p: Conversation.objects.values_list("id")[: p.last], last=Conversation._meta.get_field("last_seq")
    )
    with pytest.raises(ImproperlyConfigured, match="depends on the value of 'last'"):
        sliced.sql()


def test_a_value_the_query_does_not_use_is_refused():
    unused = CompiledQuery(
        lambda p: Conversation.objects.filter(status=ConversationStatus.ACTIVE).values_list("id"),
        seeker_id=Conversation._meta.get_field("seeker"),
    )
    with pytest.raises(ImproperlyConfigured, match="'seeker_id' is not a parameter"):
        unused.sql()


def test_a_value_used_in_several_places_is_bound_in_each():
    either = CompiledQuery(
        lambda p: (
            User.objects.filter(pk=p.user_id).union(User.objects.filter(pk=p.user_id), all=True).values_list("id")
        ),
        user_id=Connection._meta.get_field("user"),
    )
    assert either.bind(user_id=7) == [7, 7]
