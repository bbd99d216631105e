"""What chat asks of safety: the screener for chat messages, request notes and what is screened like them
(``chat.screener``), and the block reader matching consults (``chat.blocks``); registered in ``SafetyConfig.ready()``.

Each method reaches its function through its module at call time, so chat
always runs what ``safety`` currently defines.
"""

from __future__ import annotations

from safety import frames, selectors, services
from safety import screening as text_screening


class SafetyMessageScreener:
    def screen(self, *, text, sender_role, recent_texts=(), recent_levels=None, quoted_from=()):
        return text_screening.screen_message(
            text=text,
            sender_role=sender_role,
            recent_texts=recent_texts,
            recent_levels=recent_levels,
            quoted_from=quoted_from,
        )

    def verdict(self, screened, *, author_role, to_minor=False):
        return text_screening.verdict_for(screened, author_role=author_role, to_minor=to_minor)

    def hold(self, *, conversation, sender, sender_role, client_id, screening, verdict):
        return services.message_hold(
            conversation=conversation,
            sender=sender,
            sender_role=sender_role,
            client_id=client_id,
            screening=screening,
            verdict=verdict,
        )

    def flag(self, *, message, conversation, screening, verdict):
        return services.flag_create_for_message(
            message=message, conversation=conversation, screening=screening, verdict=verdict
        )

    def note_flag(self, *, request, screening, now):
        services.flag_create_for_request_note(request=request, screening=screening, now=now)

    def at_risk_recently(self, *, subject_id, since):
        return selectors.flagged_at_risk_since(subject_id=subject_id, since=since)

    def seeker_gone(self, *, conversation, seeker_id, now):
        services.flag_create_for_seeker_gone(conversation=conversation, seeker_id=seeker_id, now=now)

    def rating_comment_flag(self, *, rating, conversation, screening):
        services.flag_create_for_rating_comment(rating=rating, conversation=conversation, screening=screening)

    async def after_flagged_message(self, consumer, *, conversation_id, screening):
        await frames.after_flagged_message(consumer, conversation_id=conversation_id, screening=screening)


SCREENER = SafetyMessageScreener()


class SafetyBlockReader:
    def blocked_pairs(self, seeker_ids):
        return selectors.blocked_pairs(seeker_ids)

    def blocked_for_seeker(self, seeker_id):
        return selectors.blocked_for_seeker(seeker_id)


BLOCKS = SafetyBlockReader()
