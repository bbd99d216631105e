"""No response of Hearth's own views is kept by a browser or a proxy cache.

Transcripts, messages, flags, reports and staff pages carry what people
wrote; a page or API answer kept in the browser's cache (or a shared proxy's)
would outlive the session on a shared computer. Every response a Django view
answers gets ``Cache-Control: no-store`` (with ``private``, ``no-cache``,
``must-revalidate``, ``max-age=0`` and an ``Expires`` in the past, as Django's
``never_cache`` does) unless the view set its own ``Cache-Control``. Static
files are answered by WhiteNoise before this middleware and stay cacheable.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
