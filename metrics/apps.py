from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """The staffing and safety dashboard: reads every app, and nothing imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "metrics"
