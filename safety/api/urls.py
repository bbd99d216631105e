from django.urls import path

from safety.api import views

urlpatterns = [
    path("reports", views.ReportCreateView.as_view(), name="report-create"),
    path("reports/mine", views.MyReportsView.as_view(), name="reports-mine"),
    path("blocks", views.BlockCreateView.as_view(), name="block-create"),
    path("me/history", views.MyHistoryView.as_view(), name="me-history"),
    path("me/account", views.MyAccountView.as_view(), name="me-account"),
    path("staff/queue", views.QueueView.as_view(), name="staff-queue"),
    path("staff/flags/<int:flag_id>", views.FlagDetailView.as_view(), name="staff-flag"),
    path("staff/flags/<int:flag_id>/claim", views.FlagClaimView.as_view(), name="staff-flag-claim"),
    path("staff/flags/<int:flag_id>/acknowledge", views.FlagAcknowledgeView.as_view(), name="staff-flag-ack"),
    path("staff/flags/<int:flag_id>/transcript", views.FlagTranscriptView.as_view(), name="staff-flag-transcript"),
    path("staff/flags/<int:flag_id>/resolve", views.FlagResolveView.as_view(), name="staff-flag-resolve"),
    path("staff/flags/<int:flag_id>/warn", views.WarnView.as_view(), name="staff-flag-warn"),
    path("staff/flags/<int:flag_id>/mute", views.MuteView.as_view(), name="staff-flag-mute"),
    path("staff/flags/<int:flag_id>/suspend", views.SuspendView.as_view(), name="staff-flag-suspend"),
    path("staff/flags/<int:flag_id>/ban", views.BanView.as_view(), name="staff-flag-ban"),
    path(
        "staff/flags/<int:flag_id>/emergency-calls", views.EmergencyCallView.as_view(), name="staff-flag-emergency-call"
    ),
    # Deprecated: the same endpoint under its earlier name (docs/safety.md).
    path(
        "staff/flags/<int:flag_id>/escalations",
        views.EmergencyCallOldPathView.as_view(),
        name="staff-flag-emergency-call-old-path",
    ),
    path("staff/flags/<int:flag_id>/history", views.PersonHistoryView.as_view(), name="staff-flag-history"),
    path("staff/flags/<int:flag_id>/audit", views.FlagAuditView.as_view(), name="staff-flag-audit"),
    path(
        "staff/conversations/<int:conversation_id>/transcript",
        views.ConversationTranscriptView.as_view(),
        name="staff-conversation-transcript",
    ),
    path("staff/sanctions/<int:sanction_id>/lift", views.SanctionLiftView.as_view(), name="staff-sanction-lift"),
]
