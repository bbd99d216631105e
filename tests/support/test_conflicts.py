"""support.conflicts: a service PostgreSQL aborted for a lock conflict runs again; nothing else does."""

from __future__ import annotations

import pytest
from django.db import OperationalError, transaction

from support.conflicts import ATTEMPTS, call_retrying_conflicts


class _DriverError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failing(sqlstate: str, times: int):
    calls = []

    def service():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("aborted") from _DriverError(sqlstate)
        return "done"

    return service, calls


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"], ids=["deadlock", "serialization-failure"])
def test_a_service_aborted_for_a_lock_conflict_runs_again(sqlstate):
    service, calls = _failing(sqlstate, times=ATTEMPTS - 1)
    assert call_retrying_conflicts(service) == "done"
    assert len(calls) == ATTEMPTS


def test_it_gives_up_after_the_last_attempt():
    service, calls = _failing("40P01", times=ATTEMPTS)
    with pytest.raises(OperationalError):
        call_retrying_conflicts(service)
    assert len(calls) == ATTEMPTS


def test_other_database_errors_are_not_retried():
    service, calls = _failing("08006", times=1)  # connection failure
    with pytest.raises(OperationalError):
        call_retrying_conflicts(service)
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_a_callers_transaction_it_is_not_retried():
    service, calls = _failing("40P01", times=1)
    with pytest.raises(OperationalError), transaction.atomic():
        call_retrying_conflicts(service)
    assert len(calls) == 1
