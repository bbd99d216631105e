"""One JSON error shape for every API failure.

``{"error": "<code>", "message": "<for people>", "fields": {...}}`` — ``fields``
only for validation errors, extra keys (``retry_after``) where they help.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from support.conflicts import BUSY_MESSAGE, BUSY_RETRY_AFTER, is_lock_conflict
from support.errors import DomainError

logger = logging.getLogger("hearth.api")

_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", "Please sign in first."),
    exceptions.AuthenticationFailed: ("not_authenticated", "Please sign in first."),
    exceptions.PermissionDenied: ("forbidden", "You don't have access to this."),
    exceptions.NotFound: ("not_found", "Not found."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "This method is not allowed here."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Send JSON with Content-Type: application/json."),
    exceptions.ParseError: ("malformed_json", "The request body is not valid JSON."),
    exceptions.Throttled: ("rate_limited", "Too many requests. Please wait a moment."),
    exceptions.NotAcceptable: ("not_acceptable", "This format is not available."),
}


def error_body(code: str, message: str, **extra) -> dict:
    body = {"error": code, "message": message}
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def _log_denial(context, status_code: int) -> None:
    """Every refusal of access (401/403/404) is logged, with the method and path only."""
    request = context.get("request")
    logger.info("denied %s %s %s", status_code, getattr(request, "method", "?"), getattr(request, "path", "?"))


def exception_handler(exc, context):
    if is_lock_conflict(exc):
        # Nothing was written (PostgreSQL rolled the transaction back): safe to send again.
        request = context.get("request")
        logger.warning(
            "lock conflict answered busy: %s %s", getattr(request, "method", "?"), getattr(request, "path", "?")
        )
        response = Response(
            error_body("busy", BUSY_MESSAGE, retry_after=BUSY_RETRY_AFTER), status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response
    if isinstance(exc, DomainError):
        if exc.status in (401, 403, 404):
            _log_denial(context, exc.status)
        response = Response(error_body(exc.code, exc.message, **exc.extra), status=exc.status)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(
            error_body("invalid", "Some fields need attention.", fields=detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        code, message = next(
            ((c, m) for kind, (c, m) in _CODES.items() if isinstance(exc, kind)), ("error", str(exc.detail))
        )
        if isinstance(
            exc,
            (
                exceptions.PermissionDenied,
                exceptions.NotAuthenticated,
                exceptions.AuthenticationFailed,
                exceptions.NotFound,
            ),
        ):
            _log_denial(context, exc.status_code)
        response = Response(error_body(code, message), status=exc.status_code)
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
            response.data["retry_after"] = int(exc.wait)
        return response
    return None


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def json_server_error(request):
    return JsonResponse(error_body("internal_error", "Something went wrong on our side."), status=500)
