"""The listener program's REST API. Each view validates, calls one service or selector, and answers.

Errors use the shared JSON shape (``support.api.errors``): a seeker calling
a listener endpoint gets 403 ``forbidden``; domain refusals carry their own
codes (``not_trained``, ``retake_too_soon`` with ``retry_after``, …).
"""

from __future__ import annotations

from django.contrib.auth import login
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from listeners import feedback, paging, practice, selectors, services, training
from listeners.api.serializers import (
    ApplyIn,
    AttemptIn,
    AttemptOut,
    DecisionIn,
    PagingPreferencesIn,
    ProfileUpdateIn,
    RatingIn,
    ShiftStartIn,
)
from listeners.models import DecisionAction, ListenerStatus
from support.api.serializers import ErrorOut, MeOut
from support.client_ip import client_ip_from_meta
from support.errors import DomainError
from support.models import Role
from support.roles import can_manage_listeners, is_safety_staff


class IsListener(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.LISTENER)


class IsSeeker(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.SEEKER)


class CanManageListeners(permissions.BasePermission):
    def has_permission(self, request, view):
        return can_manage_listeners(request.user)


class CanSeeShifts(permissions.BasePermission):
    def has_permission(self, request, view):
        return can_manage_listeners(request.user) or is_safety_staff(request.user)


# --- application ---------------------------------------------------------------


class ApplyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Apply to become a listener (18+); creates the account and signs in",
        request=ApplyIn,
        responses={201: dict, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    )
    def post(self, request):
        from support.api.views import enforce_csrf

        enforce_csrf(request._request)
        if request.user.is_authenticated:
            raise DomainError("already_signed_in", "Sign out before applying with a new account.", status=409)
        data = ApplyIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = services.listener_apply(
            username=values["username"],
            password=values["password"],
            alias=values["alias"],
            bio=values["bio"],
            topic_slugs=values["topics"],
            wants_teens=values["wants_teens"],
            age=values["age"],
            adult_declared=values["adult_declared"],
            practice_replies=values["practice_replies"],
            address=client_ip_from_meta(request.META),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(
            {"user": MeOut(user).data, "profile": selectors.listener_own_profile(listener=user)},
            status=status.HTTP_201_CREATED,
        )


class PracticeScriptView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The practice chat's scripted seeker turns, each answered in the application",
        responses={200: dict},
    )
    def get(self, request):
        return Response(practice.practice_script_payload())


# --- the listener's own data ----------------------------------------------------


class MyProfileView(APIView):
    permission_classes = [IsListener]

    @extend_schema(summary="My listener profile", responses={200: dict, 403: ErrorOut})
    def get(self, request):
        return Response(selectors.listener_own_profile(listener=request.user))

    @extend_schema(
        summary="Edit my bio, topics or whether seekers may request me directly",
        request=ProfileUpdateIn,
        responses={200: dict, 400: ErrorOut, 403: ErrorOut},
    )
    def patch(self, request):
        data = ProfileUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not values:
            raise DomainError(
                "invalid", "Nothing to change.", fields={"non_field_errors": ["Send at least one field."]}
            )
        services.listener_profile_update(
            listener=request.user,
            bio=values.get("bio"),
            topic_slugs=values.get("topics"),
            accepts_direct_requests=values.get("accepts_direct_requests"),
        )
        return Response(selectors.listener_own_profile(listener=request.user))


class MyPagingView(APIView):
    permission_classes = [IsListener]

    @extend_schema(summary="My paging preferences", responses={200: dict, 403: ErrorOut})
    def get(self, request):
        return Response(paging.paging_preferences_get(listener=request.user))

    @extend_schema(
        summary="Set my paging preferences (the whole set: opt-in, e-mail, quiet hours, time zone)",
        request=PagingPreferencesIn,
        responses={200: dict, 400: ErrorOut, 403: ErrorOut},
    )
    def put(self, request):
        data = PagingPreferencesIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        quiet = values["quiet_hours"]
        paging.paging_preferences_update(
            listener=request.user,
            enabled=values["enabled"],
            email_enabled=values["email_enabled"],
            email=values.get("email"),
            quiet_start=quiet["start"] if quiet else None,
            quiet_end=quiet["end"] if quiet else None,
            time_zone=values["time_zone"],
        )
        return Response(paging.paging_preferences_get(listener=request.user))


class MyFeedbackView(APIView):
    permission_classes = [IsListener]

    @extend_schema(
        summary="My ratings and comments (never which chat they came from)", responses={200: dict, 403: ErrorOut}
    )
    def get(self, request):
        return Response(selectors.listener_feedback(listener=request.user))


class ConsoleView(APIView):
    permission_classes = [IsListener]

    @extend_schema(
        summary="Listener console: training, shift, offers, active chats, queue sizes, stats",
        responses={200: dict, 403: ErrorOut},
    )
    def get(self, request):
        return Response(selectors.listener_console(listener=request.user))


# --- training ------------------------------------------------------------------


class TrainingListView(APIView):
    permission_classes = [IsListener]

    @extend_schema(summary="Training modules with my progress", responses={200: dict, 403: ErrorOut})
    def get(self, request):
        return Response(training.training_overview(listener=request.user))


class TrainingModuleView(APIView):
    permission_classes = [IsListener]

    @extend_schema(
        operation_id="listeners_training_module",
        summary="One module: text and quiz (the correct options are never sent)",
        responses={200: dict, 404: ErrorOut},
    )
    def get(self, request, slug):
        return Response(training.training_module_detail(listener=request.user, slug=slug))


class QuizAttemptView(APIView):
    permission_classes = [IsListener]

    @extend_schema(
        summary="Submit quiz answers; scored on the server",
        request=AttemptIn,
        responses={201: AttemptOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    )
    def post(self, request, slug):
        data = AttemptIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = training.quiz_attempt_submit(listener=request.user, slug=slug, answers=data.validated_data["answers"])
        return Response(training.attempt_payload(result), status=status.HTTP_201_CREATED)


# --- shifts --------------------------------------------------------------------


class ShiftView(APIView):
    permission_classes = [IsListener]

    @extend_schema(
        summary="Start a shift",
        request=ShiftStartIn,
        responses={201: dict, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    )
    def post(self, request):
        data = ShiftStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        shift = services.shift_start(
            listener=request.user, topic_slugs=data.validated_data["topics"], capacity=data.validated_data["capacity"]
        )
        return Response(selectors.shift_payload(shift), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End my shift (pending offers are withdrawn; active chats continue)",
        request=None,
        responses={200: dict, 409: ErrorOut},
    )
    def delete(self, request):
        return _end_shift(request)


class ShiftEndView(APIView):
    permission_classes = [IsListener]

    @extend_schema(
        summary="End my shift (same as DELETE /listeners/shift)", request=None, responses={200: dict, 409: ErrorOut}
    )
    def post(self, request):
        return _end_shift(request)


def _end_shift(request) -> Response:
    shift = services.shift_end(listener=request.user)
    return Response(
        selectors.shift_payload(shift) | {"ended_at": selectors._iso(shift.ended_at), "end_reason": shift.end_reason}
    )


class ShiftHistoryView(APIView):
    permission_classes = [IsListener]

    @extend_schema(summary="My shifts, newest first (chats taken and hard chats per shift)", responses={200: dict})
    def get(self, request):
        return Response({"shifts": selectors.shift_history(listener=request.user)})


# --- public profile, ratings, favourites ----------------------------------------


class PublicProfileView(APIView):
    @extend_schema(summary="A listener's public profile", responses={200: dict, 404: ErrorOut})
    def get(self, request, alias):
        return Response(selectors.listener_public_profile(alias=alias))


class RatingView(APIView):
    permission_classes = [IsSeeker]

    @extend_schema(
        summary="Rate the listener of an ended chat (once)",
        request=RatingIn,
        responses={201: dict, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    )
    def post(self, request, conversation_id):
        data = RatingIn(data=request.data)
        data.is_valid(raise_exception=True)
        rating = feedback.rating_create(
            seeker=request.user,
            conversation_id=conversation_id,
            score=data.validated_data["score"],
            comment=data.validated_data["comment"],
        )
        return Response(rating_payload(rating), status=status.HTTP_201_CREATED)


def rating_payload(rating) -> dict:
    return {"conversation": rating.conversation_id, "score": rating.score, "comment": rating.comment}


class FavouriteListView(APIView):
    permission_classes = [IsSeeker]

    @extend_schema(summary="My favourite listeners", responses={200: dict})
    def get(self, request):
        return Response({"favourites": selectors.favourites_for(seeker=request.user)})


class FavouriteView(APIView):
    permission_classes = [IsSeeker]

    @extend_schema(
        summary="Add a listener I talked with to my favourites",
        request=None,
        responses={201: dict, 200: dict, 403: ErrorOut, 404: ErrorOut},
    )
    def post(self, request, alias):
        favourite, created = feedback.favourite_add(seeker=request.user, alias=alias)
        return Response(
            {"favourite": selectors.listener_public_profile(alias=alias)},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(summary="Remove a listener from my favourites", request=None, responses={204: None})
    def delete(self, request, alias):
        feedback.favourite_remove(seeker=request.user, alias=alias)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- staff ---------------------------------------------------------------------


class StaffListenerListView(APIView):
    permission_classes = [CanManageListeners]

    @extend_schema(
        summary="Listeners, newest applications first",
        parameters=[OpenApiParameter("status", str, enum=[choice for choice, _ in ListenerStatus.choices])],
        responses={200: dict, 403: ErrorOut},
    )
    def get(self, request):
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in ListenerStatus.values:
            raise DomainError(
                "invalid", "Unknown status.", fields={"status": [f"One of {', '.join(ListenerStatus.values)}."]}
            )
        return Response({"listeners": selectors.listeners_for_staff(status=wanted)})


class StaffApplicationView(APIView):
    permission_classes = [CanManageListeners]

    @extend_schema(
        operation_id="staff_listener_application",
        summary="One application for the staff member deciding it: the application, training results "
        "and the practice chat transcript",
        responses={200: dict, 403: ErrorOut, 404: ErrorOut},
    )
    def get(self, request, listener_id):
        return Response(selectors.listener_application_for_staff(listener_id=listener_id))


_ACTIONS = {
    "approve": DecisionAction.APPROVE,
    "reject": DecisionAction.REJECT,
    "suspend": DecisionAction.SUSPEND,
    "reinstate": DecisionAction.REINSTATE,
    "approve-teens": DecisionAction.APPROVE_TEENS,
    "revoke-teens": DecisionAction.REVOKE_TEENS,
}


class StaffDecisionView(APIView):
    permission_classes = [CanManageListeners]

    @extend_schema(
        summary="Approve, reject, suspend, reinstate, approve-teens or revoke-teens (audited)",
        request=DecisionIn,
        responses={200: dict, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    )
    def post(self, request, listener_id, action):
        if action not in _ACTIONS:
            raise DomainError("not_found", "Not found.", status=404)
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.listener_decide(
            staff=request.user, listener_id=listener_id, action=_ACTIONS[action], note=data.validated_data["note"]
        )
        return Response(
            {
                "listener": listener_id,
                "action": decision.action,
                "status": decision.status_after,
                "status_before": decision.status_before,
                "decided_at": selectors._iso(decision.created_at),
            }
        )


class StaffActiveShiftsView(APIView):
    permission_classes = [CanSeeShifts]

    @extend_schema(summary="Who is on shift now, per topic", responses={200: dict, 403: ErrorOut})
    def get(self, request):
        return Response({"topics": selectors.active_shifts_by_topic()})


class StaffFollowUpView(APIView):
    permission_classes = [CanManageListeners]

    @extend_schema(
        summary="Low ratings (1-2) with a comment, waiting for follow-up", responses={200: dict, 403: ErrorOut}
    )
    def get(self, request):
        return Response({"ratings": selectors.ratings_for_follow_up()})


class StaffFollowUpDoneView(APIView):
    permission_classes = [CanManageListeners]

    @extend_schema(summary="Mark a low rating as followed up", request=None, responses={200: dict, 404: ErrorOut})
    def post(self, request, rating_id):
        rating = feedback.rating_follow_up_done(staff=request.user, rating_id=rating_id)
        return Response({"id": rating.pk, "followed_up_at": selectors._iso(rating.followed_up_at)})
