"""Staff tooling in the Django admin: read-mostly; audit records strictly read-only."""

from django.contrib import admin

from safety.models import AuditRecord, Block, DeviceBan, EmergencyEscalation, Report, SafetyFlag, Sanction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SafetyFlag)
class SafetyFlagAdmin(ReadOnlyAdmin):
    exclude = ["excerpt"]  # conversation text is read in the review queue, where access is audited
    list_display = [
        "id",
        "level",
        "source",
        "status",
        "conversation_id",
        "created_at",
        "acknowledged_at",
        "claimed_by",
        "action_taken",
    ]
    list_filter = ["status", "level", "source"]
    ordering = ["-level", "created_at"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["id", "reason", "conversation_id", "flag_id", "created_at"]
    list_filter = ["reason"]
    exclude = ["text"]  # the report text is read in the review queue, where access is audited


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "subject", "created_by", "created_at", "expires_at", "review_at", "lifted_at"]
    list_filter = ["kind"]


@admin.register(DeviceBan)
class DeviceBanAdmin(ReadOnlyAdmin):
    list_display = ["id", "sanction_id", "created_at", "expires_at"]


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ["id", "blocker", "blocked", "created_at"]


@admin.register(EmergencyEscalation)
class EmergencyEscalationAdmin(ReadOnlyAdmin):
    list_display = ["id", "flag_id", "contacted", "reference", "recorded_by", "created_at"]


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "actor", "action", "target_type", "target_id", "flag_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_type"]

    def get_actions(self, request):
        return {}  # no bulk delete
