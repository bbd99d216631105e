"""Staff tooling in the Django admin: read-mostly; audit records strictly read-only."""

from django.contrib import admin

from safety.audit import audit_action_current, audit_action_spellings
from safety.models import AuditRecord, Block, DeviceBan, EmergencyCall, Report, SafetyFlag, Sanction


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


@admin.register(EmergencyCall)
class EmergencyCallAdmin(ReadOnlyAdmin):
    list_display = ["id", "flag_id", "contacted", "reference", "recorded_by", "created_at"]


class AuditActionFilter(admin.SimpleListFilter):
    """One choice per action, under its name now: records written under an earlier name are among them."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        recorded = AuditRecord.objects.order_by().values_list("action", flat=True).distinct()
        return [(action, action) for action in sorted({audit_action_current(action) for action in recorded})]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(action__in=audit_action_spellings(self.value()))


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "actor", "action", "target_type", "target_id", "flag_id"]
    list_filter = [AuditActionFilter, "target_type"]
    search_fields = ["action", "target_type"]

    def get_actions(self, request):
        return {}  # no bulk delete
