"""The REST API's JSON parser: DRF's, plus the input rules of ``support.text_input``.

DRF's parser lets a deeply nested body raise ``RecursionError`` (an HTTP 500)
and passes NUL and lone surrogates through to the database, which refuses
them with a 500 too. Here each is a 400 with a code: ``json_too_deep``
(deeper than ``HEARTH_JSON_MAX_DEPTH``) or ``invalid_text``.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.parsers import JSONParser

from support.errors import DomainError
from support.text_input import TOO_DEEP, TOO_DEEP_MESSAGE, json_problem


class HearthJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.HEARTH_JSON_MAX_DEPTH
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise DomainError(TOO_DEEP, TOO_DEEP_MESSAGE.format(limit=limit)) from None
        problem = json_problem(data, max_depth=limit)
        if problem is not None:
            raise DomainError(*problem)
        return data
