"""Identity, topics and health endpoints. Each view validates, calls one service or selector, serializes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import CSRFCheck
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from support import services
from support.api.errors import error_body
from support.api.serializers import (
    AnonymousSessionIn,
    ErrorOut,
    LoginIn,
    MeOut,
    PassphraseSuggestionOut,
    PrivacyAcceptIn,
    PrivacyNoticeOut,
    SetPasswordIn,
    TopicOut,
)
from support.client_ip import client_ip_from_request
from support.devices import device_ban_check, device_cookie_set, device_id_from
from support.errors import DomainError, RateLimited
from support.helplines import helplines_for
from support.models import Role, Topic
from support.passphrase import passphrase_generate, passphrase_rules
from support.privacy import (
    OUTDATED_MESSAGE,
    PRIVACY_COOKIE,
    PRIVACY_COOKIE_MAX_AGE,
    privacy_notice_accept,
    privacy_notice_due,
    privacy_notice_version,
)
from support.session_events import session_revoke
from support.signin import TOO_MANY_ATTEMPTS_MESSAGE, signin_refusal

AGE_LOCK_COOKIE = "hearth_age_gate"
AGE_LOCK_SALT = "hearth.age-gate"
UNDER_MINIMUM_AGE_MESSAGE = (
    "Thank you for telling us. Hearth is for people aged 13 and over, so we can't open a chat for you here. "
    "You deserve support: the people below are there for young people, any time."
)
LOGIN_FAILED_MESSAGE = "That username and password don't match."
WEAK_PASSPHRASE_MESSAGE = "That passphrase is too easy to guess. Try the suggested one, or a longer one of your own."
ONLY_SEEKERS_PASSPHRASE = "Only seekers set a passphrase here."


def enforce_csrf(request) -> None:
    """Apply Django's CSRF check to a view that anonymous clients call (login CSRF).

    DRF checks CSRF only for signed-in sessions; this runs the same check (DRF's
    ``CSRFCheck``, as ``SessionAuthentication`` does) and answers with our error body.
    """
    check = CSRFCheck(lambda req: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise DomainError("csrf_failed", f"CSRF check failed: {reason}", status=403)


class CsrfTokenView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Get a CSRF token (also set as the csrftoken cookie)", responses={200: dict})
    def get(self, request):
        return Response({"csrf_token": get_token(request)})


class AnonymousSessionView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Start an anonymous seeker session",
        request=AnonymousSessionIn,
        responses={201: MeOut, 400: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    )
    def post(self, request):
        enforce_csrf(request._request)
        if _age_locked(request):
            return _under_age_response()
        device_ban_check(request)
        data = AnonymousSessionIn(data=request.data)
        data.is_valid(raise_exception=True)
        age = data.validated_data["age"]
        if age < services.MINIMUM_AGE:
            response = _under_age_response()
            response.set_signed_cookie(
                AGE_LOCK_COOKIE,
                "1",
                salt=AGE_LOCK_SALT,
                max_age=settings.HEARTH_UNDER_AGE_LOCK_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
        user = services.seeker_create_anonymous(
            age=age, address=client_ip_from_request(request), device_id=device_id_from(request)
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # Not remembered: the cookie ends with the browser, so a shared computer forgets the chat.
        request.session.set_expiry(settings.SESSION_COOKIE_AGE if data.validated_data["remember"] else 0)
        response = Response(MeOut(user).data, status=status.HTTP_201_CREATED)
        device_cookie_set(request, response, user=user)
        return response


def _age_locked(request) -> bool:
    return request.get_signed_cookie(AGE_LOCK_COOKIE, default=None, salt=AGE_LOCK_SALT) is not None


def _under_age_response() -> Response:
    body = error_body(
        "under_minimum_age",
        UNDER_MINIMUM_AGE_MESSAGE,
        helplines=helplines_for(None),
    )
    return Response(body, status=status.HTTP_403_FORBIDDEN)


class LoginView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Log in with username and password",
        request=LoginIn,
        responses={200: MeOut, 400: ErrorOut, 429: ErrorOut},
    )
    def post(self, request):
        enforce_csrf(request._request)
        data = LoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"].lower()
        # support.signin.ThrottledModelBackend counts the attempt before it checks the password.
        user = authenticate(request._request, username=username, password=data.validated_data["password"])
        if user is None:
            refusal = signin_refusal(request)
            if refusal is not None:
                raise RateLimited(refusal.retry_after, TOO_MANY_ATTEMPTS_MESSAGE)
            raise DomainError("login_failed", LOGIN_FAILED_MESSAGE, status=400)
        login(request, user)
        return Response(MeOut(user).data)


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Log out (closes this session's sockets)", request=None, responses={204: None})
    def post(self, request):
        session_key = request.session.session_key
        if request.user.is_authenticated:
            session_revoke(user_id=request.user.pk, session_key=session_key, reason="logged_out")
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Who am I", responses={200: MeOut, 403: ErrorOut})
    def get(self, request):
        return Response(MeOut(request.user).data)


class SetPasswordView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Set a password to keep an anonymous alias across devices",
        request=SetPasswordIn,
        responses={204: None, 400: ErrorOut},
    )
    def post(self, request):
        data = SetPasswordIn(data=request.data)
        data.is_valid(raise_exception=True)
        if request.user.role != Role.SEEKER:
            raise DomainError("forbidden", ONLY_SEEKERS_PASSPHRASE, status=403)
        try:
            services.seeker_set_password(
                user=request.user,
                password=data.validated_data["password"],
                current_password=data.validated_data.get("current_password"),
                request=request._request,
            )
        except ValidationError as exc:
            raise DomainError("weak_passphrase", WEAK_PASSPHRASE_MESSAGE, fields={"password": exc.messages}) from None
        login(request, request.user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(status=status.HTTP_204_NO_CONTENT)


class PassphraseSuggestionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A generated passphrase to keep my account (seekers; nothing is stored until it is set)",
        responses={200: PassphraseSuggestionOut, 403: ErrorOut},
    )
    def get(self, request):
        if request.user.role != Role.SEEKER:
            raise DomainError("forbidden", ONLY_SEEKERS_PASSPHRASE, status=403)
        rules = passphrase_rules()
        return Response({"passphrase": passphrase_generate(), "min_length": rules["min_length"]})


class PrivacyNoticeView(APIView):
    """The privacy notice's version, and this browser's acceptance of it (support/privacy.py)."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="The current privacy notice version, and whether this browser accepted it",
        responses={200: PrivacyNoticeOut},
    )
    def get(self, request):
        return Response(_privacy_payload(accepted=not privacy_notice_due(request.COOKIES)))

    @extend_schema(
        summary="Accept the privacy notice (counted per version and day, never per person)",
        request=PrivacyAcceptIn,
        responses={200: PrivacyNoticeOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    )
    def post(self, request):
        enforce_csrf(request._request)
        data = PrivacyAcceptIn(data=request.data)
        data.is_valid(raise_exception=True)
        version = privacy_notice_version()
        if data.validated_data["version"] != version:
            raise DomainError("privacy_notice_outdated", OUTDATED_MESSAGE, status=409, version=version)
        # Counted once per browser and version (its cookie); the person goes on whether or not it was counted.
        recorded = privacy_notice_due(request.COOKIES) and privacy_notice_accept(
            version=version, address=client_ip_from_request(request), today=timezone.localdate()
        )
        response = Response({**_privacy_payload(accepted=True), "recorded": recorded})
        response.set_cookie(
            PRIVACY_COOKIE,
            str(version),
            max_age=PRIVACY_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response


def _privacy_payload(*, accepted: bool) -> dict:
    return {"version": privacy_notice_version(), "accepted": accepted, "url": reverse("privacy")}


class TopicListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Active topics, in display order", responses={200: TopicOut(many=True)})
    def get(self, request):
        return Response(TopicOut(Topic.objects.filter(is_active=True), many=True).data)


class HelplineListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Crisis resources for a country (ISO code, optional)", responses={200: dict})
    def get(self, request):
        country = request.query_params.get("country", "")
        if country and (len(country) != 2 or not country.isalpha()):
            raise DomainError(
                "invalid", "country must be a two-letter ISO code.", fields={"country": ["Invalid code."]}
            )
        return Response({"helplines": helplines_for(country or None)})
