from django.apps import AppConfig


class ListenersConfig(AppConfig):
    name = "listeners"
    verbose_name = "Listener program"

    def ready(self) -> None:
        # Imported here: the frame handlers import models, loaded only once ready() runs.
        from chat.consumers import chat_socket_frames_register
        from listeners import frames

        chat_socket_frames_register(handlers=frames.HANDLERS, fields=frames.FIELDS)
