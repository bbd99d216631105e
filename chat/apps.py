from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat and matching"

    def ready(self) -> None:
        # Registers the start-up checks that refuse to run without a message screener, a block reader
        # or a listener pool.
        from chat import (
            blocks,  # noqa: F401
            listener_pool,  # noqa: F401
            screener,  # noqa: F401
        )
