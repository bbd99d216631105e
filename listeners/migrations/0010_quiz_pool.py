"""Grow each seeded module's quiz into a pool: three more questions each, eight in all.

An attempt asks ``LISTENERS_QUIZ_QUESTIONS_PER_ATTEMPT`` (5) of them, drawn
per attempt (``listeners.training``). These answers are as public as the
first five: the pool makes an attempt harder to pass by guessing, not by
reading this file. A person approving every applicant is the real check
(``LISTENERS_REQUIRE_STAFF_APPROVAL``). A module staff have deleted is left
alone; a question already present (by its text) is not added twice.
"""

from django.db import migrations

POOL = {
    "reflective-listening": [
        (
            "A seeker writes: \"I don't even know why I'm upset.\" Which reply reflects?",
            [
                ("Everyone gets upset sometimes, it'll pass.", False),
                ("It sounds confusing to feel this bad without knowing where it's coming from.", True),
                ("Have you tried journaling about it?", False),
            ],
            "Reflect the feeling, even when the person can't name its cause yet.",
        ),
        (
            'You reflected something and the seeker says "no, that\'s not it". What now?',
            [
                ("Thank them, and ask what you missed", True),
                ("Explain why your reflection was right", False),
                ("Move on to a new topic", False),
            ],
            "Being corrected is part of reflecting: it brings you closer to what they mean.",
        ),
        (
            "How often should you reflect?",
            [
                ("After every single sentence", False),
                ("Now and then, at the important moments, without parroting", True),
                ("Only at the end of the chat", False),
            ],
            "Reflections should feel natural, not mechanical.",
        ),
    ],
    "empathy-without-advice": [
        (
            'A seeker says: "my dog died yesterday." Which reply shows empathy?',
            [
                ("At least you had many good years together.", False),
                ("I'm so sorry. Losing someone you loved like that really hurts.", True),
                ("You could think about adopting another dog.", False),
            ],
            "Stay with the loss instead of looking on the bright side or fixing it.",
        ),
        (
            'A seeker asks you directly: "what would you do?" You:',
            [
                ("Tell them exactly what to do", False),
                ("Gently turn it back: explore what options they see and how each feels", True),
                ("Refuse to answer and change the subject", False),
            ],
            "Help them find their own way rather than handing them yours.",
        ),
        (
            'Why is "at least…" usually unhelpful?',
            [
                ("It minimises what the person feels", True),
                ("It is too long to type", False),
                ("It is fine, it helps them feel better quickly", False),
            ],
            '"At least" shrinks the feeling instead of meeting it.',
        ),
    ],
    "open-questions": [
        (
            "Which of these is an open question?",
            [
                ("Did that make you angry?", False),
                ("What was that like for you?", True),
                ("Are you okay now?", False),
            ],
            "Open questions can't be answered with yes or no.",
        ),
        (
            'Why ask "what" or "how" rather than "why"?',
            [
                ('"Why" can sound like a demand to justify themselves', True),
                ('"Why" questions are too short', False),
                ('"What" questions are always faster', False),
            ],
            '"Why" can feel like judgement; "what" and "how" invite a story.',
        ),
        (
            "A seeker answers every question with one word. What might help?",
            [
                ("Ask more yes/no questions so it's easier", False),
                ("Slow down, reflect what you've heard, and offer one gentle open question", True),
                ("Tell them they need to say more or you can't help", False),
            ],
            "Fewer, gentler questions with reflections give people room.",
        ),
    ],
    "boundaries-and-privacy": [
        (
            "A seeker asks where you live so they can picture who they're talking to. You:",
            [
                ("Name your city, it's not very specific", False),
                ("Explain kindly that Hearth keeps both of you anonymous", True),
                ("Tell them your country only", False),
            ],
            "No identifying details, even general ones offered to build rapport.",
        ),
        (
            "A seeker is abusive towards you. What may you do?",
            [
                ("Nothing, listeners must take it", False),
                ("End the chat, block if needed, and tell the safety team", True),
                ("Insult them back so they stop", False),
            ],
            "You never have to stay in a chat that harms you.",
        ),
        (
            "Someone in your household asks to read a chat over your shoulder. You:",
            [
                ("Let them, they won't tell anyone", False),
                ("Keep the chat private: nobody else reads it", True),
                ("Read it aloud instead", False),
            ],
            "What seekers share stays between them and Hearth.",
        ),
    ],
    "recognising-crisis": [
        (
            "Which of these is a warning sign of suicide risk?",
            [
                ("Talking about being a burden and having a plan", True),
                ("Feeling stressed about exams", False),
                ("Being annoyed with a friend", False),
            ],
            "Feeling like a burden and having a plan are serious signs: ask and escalate.",
        ),
        (
            "A seeker says someone at home is hurting them. You:",
            [
                ("Ask for their address to send help", False),
                ("Believe them, stay calm, and bring in the safety team", True),
                ("Tell them to confront the person", False),
            ],
            "Don't investigate or collect details; escalate and stay with them.",
        ),
        (
            "You are unsure whether a seeker is at risk. What should you do?",
            [
                ("Wait until you are certain", False),
                ("Ask directly and calmly, and escalate if you are worried", True),
                ("Assume they are fine", False),
            ],
            "When in doubt, ask and escalate.",
        ),
    ],
    "looking-after-yourself": [
        (
            "You've had three hard chats in a row. What is a good next step?",
            [
                ("Take the next offer straight away", False),
                ("Pause, take a break, and end your shift if you need to", True),
                ("Raise your capacity so the line moves faster", False),
            ],
            "Rest is part of listening well.",
        ),
        (
            "Is it your fault if a seeker still feels bad at the end of a chat?",
            [
                ("Yes, you should have fixed it", False),
                ("No: your part is to listen kindly, not to fix everything", True),
                ("Only if they rate you low", False),
            ],
            "You can't help everyone, and you don't have to.",
        ),
        (
            "Where can you talk about a chat that stays with you?",
            [
                ("With the safety team, inside Hearth", True),
                ("In a group chat with friends, without names", False),
                ("Nowhere, keep it to yourself", False),
            ],
            "Support is available; privacy still applies.",
        ),
    ],
    "supporting-teens": [
        (
            "A 14-year-old asks you to keep chatting on another app after the shift. You:",
            [
                ("Agree if they seem mature", False),
                ("Say kindly that you only talk on Hearth, and that they can come back any time", True),
                ("Give them your username but tell them not to tell anyone", False),
            ],
            "Moving a young person off Hearth is never acceptable.",
        ),
        (
            "A teen tells you an adult online is sending them gifts and asks them to keep it secret. You:",
            [
                ("Say it's probably harmless", False),
                ("Stay calm, believe them, and bring in the safety team straight away", True),
                ("Ask for the adult's details so you can look them up", False),
            ],
            "Gifts and secrecy are grooming signs: escalate, don't investigate.",
        ),
        (
            "A teen asks how old you are and where you work. You:",
            [
                ("Tell them, it builds trust", False),
                ("Explain gently that Hearth keeps everyone anonymous, you included", True),
                ("Lie about your age", False),
            ],
            "Anonymity protects both of you.",
        ),
    ],
}


def grow(apps, schema_editor):
    TrainingModule = apps.get_model("listeners", "TrainingModule")
    QuizQuestion = apps.get_model("listeners", "QuizQuestion")
    QuizOption = apps.get_model("listeners", "QuizOption")
    for slug, questions in POOL.items():
        module = TrainingModule.objects.filter(slug=slug).first()
        if module is None:
            continue
        for n, (text, options, explanation) in enumerate(questions, start=1):
            if QuizQuestion.objects.filter(module=module, text=text).exists():
                continue
            question = QuizQuestion.objects.create(
                module=module, text=text, explanation=explanation, display_order=100 + n * 10
            )
            for o_order, (option_text, correct) in enumerate(options, start=1):
                QuizOption.objects.create(
                    question=question, text=option_text, is_correct=correct, display_order=o_order * 10
                )


def shrink(apps, schema_editor):
    QuizQuestion = apps.get_model("listeners", "QuizQuestion")
    for slug, questions in POOL.items():
        QuizQuestion.objects.filter(module__slug=slug, text__in=[text for text, _, _ in questions]).delete()


class Migration(migrations.Migration):
    dependencies = [("listeners", "0009_quiz_draws")]
    operations = [migrations.RunPython(grow, shrink)]
