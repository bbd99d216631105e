from django.urls import path

from metrics.api import MetricsView

urlpatterns = [
    path("metrics", MetricsView.as_view(), name="metrics"),
]
