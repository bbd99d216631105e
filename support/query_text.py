"""Query strings are held to the same text rules as bodies and frames (``support.text_input``).

A query parameter with NUL reaches a database filter unchecked in some views
(``?topic=``), and PostgreSQL refuses it with an error that would be a 500.
Every request whose query string decodes to text with NUL, another C0 control
or a lone surrogate is answered 400 ``invalid_text`` before any view runs.
"""

from __future__ import annotations

from django.http import JsonResponse

from support.text_input import INVALID_TEXT, INVALID_TEXT_MESSAGE, is_valid_text


class QueryTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("QUERY_STRING") and not all(
            is_valid_text(key) and all(is_valid_text(value) for value in values) for key, values in request.GET.lists()
        ):
            return JsonResponse({"error": INVALID_TEXT, "message": INVALID_TEXT_MESSAGE}, status=400)
        return self.get_response(request)
