from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "Safety"

    def ready(self) -> None:
        # Imported here: these modules import models, loaded only once ready() runs.
        # safety sits above chat and support: it fills the hooks they expose (docs/architecture.md).
        from chat.blocks import block_reader_register
        from chat.consumers import chat_socket_frames_register
        from chat.mutes import mute_rule_register
        from chat.screener import message_screener_register
        from chat.selectors import socket_state_reader_register
        from listeners.services import listener_decided
        from safety import chat_frames
        from safety.audit import listener_decision_record
        from safety.chat_policy import BLOCKS, SCREENER
        from safety.devices import DEVICE_BANS
        from safety.selectors import mute_in_force_ends, socket_state_risk_and_warnings
        from safety.signin_alerts import signin_lock_record
        from support.devices import device_policy_register
        from support.signin import signin_locked

        signin_locked.connect(signin_lock_record, dispatch_uid="safety.signin_lock_record")
        listener_decided.connect(listener_decision_record, dispatch_uid="safety.listener_decision_record")
        message_screener_register(SCREENER)
        block_reader_register(BLOCKS)
        mute_rule_register(mute_in_force_ends)
        device_policy_register(DEVICE_BANS)
        chat_socket_frames_register(handlers=chat_frames.HANDLERS, fields=chat_frames.FIELDS)
        socket_state_reader_register(socket_state_risk_and_warnings)
