"""Error pages: JSON under /api/, a plain page elsewhere."""

from django.http import HttpResponse

from support.api.errors import json_not_found, json_server_error


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request)
    return HttpResponse("<!doctype html><title>Not found</title><h1>Page not found</h1>", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return HttpResponse("<!doctype html><title>Error</title><h1>Something went wrong</h1>", status=500)
