from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from support.api import views
from support.health import healthz

handler404 = "support.views.not_found"
handler500 = "support.views.server_error"

api_v1 = [
    path("session/csrf", views.CsrfTokenView.as_view(), name="session-csrf"),
    path("session/anonymous", views.AnonymousSessionView.as_view(), name="session-anonymous"),
    path("session/login", views.LoginView.as_view(), name="session-login"),
    path("session/logout", views.LogoutView.as_view(), name="session-logout"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/password", views.SetPasswordView.as_view(), name="me-password"),
    path("me/password/suggestion", views.PassphraseSuggestionView.as_view(), name="me-password-suggestion"),
    path("privacy", views.PrivacyNoticeView.as_view(), name="privacy-notice"),
    path("topics", views.TopicListView.as_view(), name="topics"),
    path("helplines", views.HelplineListView.as_view(), name="helplines"),
    path("", include("chat.api.urls")),
    path("", include("listeners.api.urls")),
    path("", include("safety.api.urls")),
    path("", include("rooms.api.urls")),
    path("", include("metrics.api_urls")),
]

# Swagger UI with its start-up script served from ?script= (the split view), so no inline
# script is needed; its page keeps one small inline <style>, allowed by its hash
# (tests/support/test_csp.py recomputes it from the page drf-spectacular renders).
API_DOCS_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
api_docs = csp_update({"style-src": [API_DOCS_STYLE_HASH]})(SpectacularSwaggerSplitView.as_view(url_name="schema"))

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("admin/", admin.site.urls),
    path("manage/", include("metrics.urls")),
    path("", include("frontend.urls")),
]
