from django.apps import AppConfig


class ListenersConfig(AppConfig):
    name = "listeners"
    verbose_name = "Listener program"

    def ready(self) -> None:
        # Imported here: these modules import models, loaded only once ready() runs.
        # listeners sits above chat: it fills the hooks chat exposes (docs/architecture.md).
        from chat.consumers import chat_socket_frames_register
        from chat.dispatch import line_notified_hooks
        from chat.listener_pool import listener_pool_register
        from chat.selectors import socket_state_reader_register
        from chat.services.conversations import conversation_closed_hooks
        from listeners import frames
        from listeners.chat_pool import POOL
        from listeners.queue_sizes import queue_sizes_notify
        from listeners.selectors import socket_state_console
        from listeners.wellbeing import after_conversation_closed

        listener_pool_register(POOL)
        chat_socket_frames_register(handlers=frames.HANDLERS, fields=frames.FIELDS)
        socket_state_reader_register(socket_state_console)
        conversation_closed_hooks.append(after_conversation_closed)
        line_notified_hooks.append(queue_sizes_notify)
