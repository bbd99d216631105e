"""Staff tooling for the listener program.

Profile decisions go through ``listeners.services.listener_decide`` so the
admin and the API apply the same rules and leave the same audit trail.
Ratings and decisions are read-only here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from listeners import selectors, services
from listeners.models import (
    DecisionAction,
    ListenerDecision,
    ListenerProfile,
    QuizOption,
    QuizQuestion,
    Rating,
    Shift,
    TrainingModule,
)
from support.errors import DomainError
from support.roles import can_manage_listeners


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _decide(action: str, label: str):
    def run(modeladmin, request, queryset):
        done = 0
        for profile in queryset:
            try:
                services.listener_decide(
                    staff=request.user, listener_id=profile.user_id, action=action, note="Admin action"
                )
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{profile.user.alias}: {exc.message}", messages.WARNING)
        if done:  # the service runs the dispatch round and tells waiting seekers itself
            modeladmin.message_user(request, f"{label}: {done} listener(s).", messages.SUCCESS)

    run.short_description = label
    run.__name__ = f"decide_{action}"
    return run


@admin.register(ListenerProfile)
class ListenerProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "status",
        "trained_at",
        "wants_teens",
        "approved_for_teens",
        "accepts_direct_requests",
        "created_at",
    ]
    list_filter = ["status", "wants_teens", "approved_for_teens"]
    search_fields = ["user__alias", "user__username"]
    # Status and teen approval change only through the audited actions below.
    readonly_fields = [
        "user",
        "status",
        "trained_at",
        "approved_for_teens",
        "paused_until",
        "adult_declared_at",
        "created_at",
        "training_results",
        "practice_chat",
    ]
    fields = [
        "user",
        "status",
        "bio",
        "topics",
        "wants_teens",
        "adult_declared_at",
        "trained_at",
        "training_results",
        "practice_chat",
        "approved_for_adults",
        "approved_for_teens",
        "accepts_direct_requests",
        "paused_until",
        "created_at",
    ]
    actions = [
        _decide(DecisionAction.APPROVE, "Approve"),
        _decide(DecisionAction.REJECT, "Reject"),
        _decide(DecisionAction.SUSPEND, "Suspend (ends shift, requeues chats, closes sockets)"),
        _decide(DecisionAction.REINSTATE, "Reinstate"),
        _decide(DecisionAction.APPROVE_TEENS, "Approve for teen chats"),
        _decide(DecisionAction.REVOKE_TEENS, "Withdraw teen approval"),
    ]

    @admin.display(description="Training results")
    def training_results(self, profile):
        """The same review the API gives (``listener_application_for_staff``): scores per attempt."""
        modules = selectors.listener_application_for_staff(listener_id=profile.user_id)["training"]["modules"]
        rows = [
            (
                module["title"],
                "passed" if module["passed"] else "not passed",
                ", ".join(f"{attempt['score']}%" for attempt in module["attempts"]) or "no attempts",
            )
            for module in modules
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {} ({})</li>", rows))

    @admin.display(description="Practice chat")
    def practice_chat(self, profile):
        turns = selectors.listener_application_for_staff(listener_id=profile.user_id)["practice"]
        if not turns:
            return "No practice chat (applied before it existed)."
        rows = [
            (
                turn["seeker"],
                turn["reply"],
                " [would have been held by screening]" if turn["would_hold"] else "",
                " [contact details hidden]" if turn["masked"] else "",
            )
            for turn in turns
        ]
        return format_html(
            "<dl>{}</dl>",
            format_html_join("", "<dt>Seeker: {}</dt><dd>Applicant: {}<strong>{}{}</strong></dd>", rows),
        )

    def has_module_permission(self, request):
        return can_manage_listeners(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return can_manage_listeners(request.user) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_manage_listeners(request.user) or super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ListenerDecision)
class ListenerDecisionAdmin(_ReadOnly):
    list_display = ["created_at", "listener", "action", "status_before", "status_after", "decided_by_alias"]
    list_filter = ["action"]
    search_fields = ["listener__alias", "decided_by_alias", "note"]


class QuizOptionInline(admin.TabularInline):
    model = QuizOption
    extra = 0


@admin.register(QuizQuestion)
class QuizQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "module", "display_order"]
    list_filter = ["module"]
    inlines = [QuizOptionInline]


class QuizQuestionInline(admin.StackedInline):
    model = QuizQuestion
    extra = 0
    show_change_link = True


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "audience", "display_order", "is_active"]
    list_filter = ["audience", "is_active"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [QuizQuestionInline]


@admin.register(Rating)
class RatingAdmin(_ReadOnly):
    list_display = ["created_at", "listener", "score", "comment", "followed_up_at"]
    list_filter = ["score"]
    search_fields = ["listener__alias", "comment"]
    exclude = ["seeker"]


@admin.register(Shift)
class ShiftAdmin(_ReadOnly):
    list_display = ["listener", "started_at", "ended_at", "end_reason", "capacity", "chats_taken", "hard_chats"]
    list_filter = ["end_reason"]
