"""Migration 0007 gives stored ``escalation.record`` audit records the action's name now,
``emergency_call.record``; its reverse puts the old name back."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from safety.audit import audit_record
from safety.models import AuditRecord

pytestmark = pytest.mark.django_db

MIGRATION = ("safety", "0007_emergency_call")
migration = import_module("safety.migrations.0007_emergency_call")


def test_stored_escalation_records_take_the_emergency_call_name_and_the_reverse_restores_it():
    apps = MigrationLoader(connection).project_state(MIGRATION).apps
    call = audit_record(actor=None, action="escalation.record", target_type="flag", target_id=7, flag_id=7)
    read = audit_record(actor=None, action="flag.read", target_type="flag", target_id=7, flag_id=7)

    migration.actions_forward(apps, None)
    assert AuditRecord.objects.get(pk=call.pk).action == "emergency_call.record"
    assert AuditRecord.objects.get(pk=read.pk).action == "flag.read"

    migration.actions_backward(apps, None)
    assert AuditRecord.objects.get(pk=call.pk).action == "escalation.record"
    assert AuditRecord.objects.get(pk=read.pk).action == "flag.read"
