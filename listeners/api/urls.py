from django.urls import path

from listeners.api import views

urlpatterns = [
    path("listeners/apply", views.ApplyView.as_view(), name="listener-apply"),
    path("listeners/apply/practice", views.PracticeScriptView.as_view(), name="listener-apply-practice"),
    path("listeners/me", views.MyProfileView.as_view(), name="listener-me"),
    path("listeners/me/paging", views.MyPagingView.as_view(), name="listener-paging"),
    path("listeners/me/feedback", views.MyFeedbackView.as_view(), name="listener-feedback"),
    path("listeners/me/console", views.ConsoleView.as_view(), name="listener-console"),
    path("listeners/training", views.TrainingListView.as_view(), name="listener-training"),
    path("listeners/training/<slug:slug>", views.TrainingModuleView.as_view(), name="listener-training-module"),
    path("listeners/training/<slug:slug>/attempts", views.QuizAttemptView.as_view(), name="listener-quiz-attempt"),
    path("listeners/shift", views.ShiftView.as_view(), name="listener-shift"),
    path("listeners/shift/end", views.ShiftEndView.as_view(), name="listener-shift-end"),
    path("listeners/shifts", views.ShiftHistoryView.as_view(), name="listener-shifts"),
    path("listeners/<str:alias>", views.PublicProfileView.as_view(), name="listener-profile"),
    path("conversations/<int:conversation_id>/rating", views.RatingView.as_view(), name="conversation-rating"),
    path("favourites", views.FavouriteListView.as_view(), name="favourites"),
    path("favourites/<str:alias>", views.FavouriteView.as_view(), name="favourite"),
    path("staff/listeners", views.StaffListenerListView.as_view(), name="staff-listeners"),
    path("staff/listeners/<int:listener_id>", views.StaffApplicationView.as_view(), name="staff-listener"),
    path(
        "staff/listeners/<int:listener_id>/<str:action>",
        views.StaffDecisionView.as_view(),
        name="staff-listener-decision",
    ),
    path("staff/shifts/active", views.StaffActiveShiftsView.as_view(), name="staff-shifts-active"),
    path("staff/ratings/follow-up", views.StaffFollowUpView.as_view(), name="staff-ratings-follow-up"),
    path(
        "staff/ratings/<int:rating_id>/followed-up",
        views.StaffFollowUpDoneView.as_view(),
        name="staff-rating-followed-up",
    ),
]
