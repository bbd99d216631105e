from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat and matching"

    def ready(self) -> None:
        # Registers the start-up check that refuses to run without a message screener.
        from chat import screener  # noqa: F401
