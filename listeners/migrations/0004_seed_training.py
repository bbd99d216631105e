"""Seed the Hearth listener course: six core modules and the teen-support module.

The content lives here, frozen with the migration, so a database built from
scratch always holds the course it was built with. Later edits are made in
the admin or by a new data migration. In each question the option marked
``True`` is the correct one; the API never sends that flag.
"""

from django.db import migrations

CORE = "core"
TEENS = "teens"

COURSE = [
    {
        "slug": "reflective-listening",
        "title": "Reflective listening",
        "audience": CORE,
        "summary": "Hearing what someone says, and letting them hear that you heard it.",
        "body": """Most people who come to Hearth are not looking for answers. They are looking for someone who will stay with them long enough to say it out loud. Your first job is to listen so well that they feel it.

Reflective listening means giving back, in your own words, what you heard: the facts and, more importantly, the feeling under them. "It sounds like the exams are piling up and you feel like you're already behind" tells the person you were with them. It also lets them correct you, which often takes the conversation somewhere truer.

Keep reflections short and tentative ("it sounds like…", "I'm hearing…", "correct me if I'm wrong…"). Don't parrot every sentence, and don't rush to fill silences: in text, a pause often means someone is typing something hard. If you're not sure what they mean, say so kindly and ask.

A good check at the end of any chat: did they do most of the talking? If yes, you probably listened well.""",
        "questions": [
            (
                'A seeker writes: "my flatmates keep eating my food and I\'m too tired to deal with it". Which reply is a reflection?',
                [
                    ("You should put a lock on your cupboard.", False),
                    ("It sounds like you're worn out, and this is one more thing on top of it.", True),
                    ("That happened to me too, it's so annoying.", False),
                    ("Why haven't you said anything to them?", False),
                ],
                "A reflection gives back the feeling and the situation, without fixing or judging.",
            ),
            (
                "What is the main purpose of reflecting back what someone said?",
                [
                    ("To show them you heard them and let them correct you", True),
                    ("To fill the silence while you think of advice", False),
                    ("To prove you have been through the same thing", False),
                ],
                "Reflections let a person feel heard and keep them in charge of their own story.",
            ),
            (
                "The seeker has not replied for a minute. What is usually best?",
                [
                    ("Send several messages to check they're still there", False),
                    ("End the chat, they have probably left", False),
                    ("Wait; they may be writing something difficult", True),
                ],
                "In text, silence often means someone is finding the words.",
            ),
            (
                "Which phrasing keeps a reflection tentative?",
                [
                    ("You are obviously depressed.", False),
                    ("I'm hearing that things have felt heavy lately, is that right?", True),
                    ("What you really mean is that you hate your job.", False),
                ],
                'Tentative wording leaves room for the person to say "not quite".',
            ),
            (
                "Near the end of a good listening chat, who has usually done most of the talking?",
                [("The listener", False), ("The seeker", True), ("Both equally, always", False)],
                "The space belongs to the seeker.",
            ),
        ],
    },
    {
        "slug": "empathy-without-advice",
        "title": "Empathy without advice-giving",
        "audience": CORE,
        "summary": "Being with someone's feelings instead of trying to fix them.",
        "body": """When someone we care about is hurting, the urge to fix it is strong. On Hearth we gently resist it. Advice, however well meant, can say "you should have thought of that" and quietly closes the conversation.

Empathy is trying to understand how it feels to be them, right now, and letting them know: "That sounds exhausting." "Of course you're angry, that was unfair." You don't need to have lived the same thing, and you shouldn't turn the chat toward your own story.

Seekers often find their own next step once they feel understood. You can help them look at it: "What has helped a little before?" "What would you like to happen?" Their answer is worth more than yours.

You are not a therapist, doctor or lawyer, and you never diagnose. If someone asks what they should do, it's fine to say you can't tell them, and to explore the options they see. If they need professional help, you can point to the resources Hearth shows, without pushing.""",
        "questions": [
            (
                "A seeker says they are thinking of quitting their course. What fits Hearth's approach?",
                [
                    ("Tell them quitting is a mistake they'll regret", False),
                    ("Ask what's making them think about it and how they feel about each option", True),
                    ("Share how you quit your own course and it worked out", False),
                ],
                "Explore their thinking; the decision is theirs.",
            ),
            (
                "Which reply shows empathy?",
                [
                    ("At least you still have your family.", False),
                    ("Have you tried going for a run?", False),
                    ("That sounds really lonely.", True),
                ],
                '"At least" and quick tips tend to shrink a feeling instead of meeting it.',
            ),
            (
                "A seeker describes symptoms and asks if they have ADHD. You:",
                [
                    ("Say it sounds like ADHD to you", False),
                    (
                        "Say you can't diagnose, and ask how it's affecting them; mention that a doctor can assess it",
                        True,
                    ),
                    ("Tell them they are fine and shouldn't worry", False),
                ],
                "Listeners never diagnose.",
            ),
            (
                "Why can advice close a conversation down?",
                [
                    ("It can feel like judgement and suggest the problem is simple", True),
                    ("Advice is against the law", False),
                    ("Seekers never want any ideas at all", False),
                ],
                "Unasked-for solutions can make people feel unheard.",
            ),
            (
                "How much of your own story should you share?",
                [
                    ("As much as possible, so they don't feel alone", False),
                    ("Very little, and only if it keeps the focus on them", True),
                    ("Your full name and where you live, to build trust", False),
                ],
                "The chat is about them; and your identity stays private.",
            ),
        ],
    },
    {
        "slug": "open-questions",
        "title": "Open questions",
        "audience": CORE,
        "summary": "Questions that invite a story rather than a yes or no.",
        "body": """Open questions give the other person room. "How has this week been?" invites far more than "Was this week bad?". They usually begin with how, what, or "tell me about".

Use them sparingly. A string of questions feels like an interview, however kind each one is. Alternate: a reflection, then maybe a question, then space.

Be careful with "why". "Why did you do that?" can sound like blame. "What was going on for you when…" asks the same thing gently.

Closed questions still have their place: when you need a clear answer, for example whether someone is safe right now, ask directly and plainly.""",
        "questions": [
            (
                "Which is an open question?",
                [
                    ("Did you sleep last night?", False),
                    ("What have your nights been like lately?", True),
                    ("Are you OK?", False),
                ],
                "Open questions invite more than yes or no.",
            ),
            (
                'Why is "why did you do that?" risky?',
                [
                    ("It can sound like blame", True),
                    ("It is too long to type", False),
                    ("It is a closed question", False),
                ],
                '"What was going on for you?" asks the same thing without judgement.',
            ),
            (
                "You have asked four questions in a row. What's a good next move?",
                [
                    ("Ask a fifth, more specific one", False),
                    ("Reflect back what you've heard and leave some space", True),
                    ("Change the subject", False),
                ],
                "Too many questions feel like an interview.",
            ),
            (
                "When is a direct closed question the right choice?",
                [
                    ("When you need a clear answer, such as whether someone is safe right now", True),
                    ("Never, listeners only ask open questions", False),
                    ("Whenever the chat is going slowly", False),
                ],
                "Safety questions should be asked plainly.",
            ),
            (
                "Which opening best invites someone to start?",
                [("Tell me what's been on your mind.", True), ("Is it about school?", False), ("You seem sad.", False)],
                "A gentle open invitation lets them choose where to begin.",
            ),
        ],
    },
    {
        "slug": "boundaries-and-privacy",
        "title": "Boundaries and privacy",
        "audience": CORE,
        "summary": "Keeping everyone anonymous and safe, seekers and listeners alike.",
        "body": """Hearth is anonymous on purpose. Seekers can say things here they can say nowhere else because nobody knows who they are. That trust is fragile, and protecting it is part of your role.

Never ask for or share contact details: names, phone numbers, emails, social media handles, addresses, schools or workplaces. Never arrange to talk elsewhere or to meet, not even "just once", not even if the seeker asks. Hearth hides contact details in messages automatically, but you are the first line of protection. If a seeker offers theirs, thank them and explain kindly that Hearth keeps everyone anonymous, for their safety too.

Keep what you read private. Don't discuss chats outside Hearth, don't screenshot them and don't look seekers up. If you recognise someone, end the chat kindly and ask for a hand-over.

Boundaries also protect you. You can end a chat that becomes abusive or sexual, and you can block. You are never expected to continue a conversation that harms you; the safety team will back you.""",
        "questions": [
            (
                'A seeker says: "you\'ve really helped, can I have your Instagram?" You:',
                [
                    ("Share it, they're clearly grateful", False),
                    ("Thank them warmly and explain Hearth keeps everyone anonymous, so you can't", True),
                    ("Give them your email instead, it's more private", False),
                ],
                "Never share contact details or move off-platform.",
            ),
            (
                "You think you recognise the seeker from your town. What do you do?",
                [
                    ("Ask if they go to your school", False),
                    ("Keep going but don't mention it", False),
                    ("End kindly and ask for a hand-over to another listener", True),
                ],
                "Anonymity must hold both ways.",
            ),
            (
                "Which of these may you do with a chat?",
                [
                    ("Screenshot it to ask friends for advice", False),
                    ("Talk about it with the safety team through Hearth", True),
                    ("Post a summary without names online", False),
                ],
                "Chats stay inside Hearth.",
            ),
            (
                "A seeker asks to meet for coffee because they feel alone. You:",
                [
                    ("Agree, loneliness is serious", False),
                    (
                        "Decline kindly, stay with the loneliness they describe, and mention they can come back to Hearth",
                        True,
                    ),
                    ("Suggest a video call instead", False),
                ],
                "Never meet or move off-platform; respond to the need underneath.",
            ),
            (
                "A chat turns sexual. What are you allowed to do?",
                [
                    ("You must keep listening whatever happens", False),
                    ("End the chat, block if needed, and let the safety team know", True),
                    ("Ask the seeker to move to another app", False),
                ],
                "Your boundaries matter; the safety team backs you.",
            ),
        ],
    },
    {
        "slug": "recognising-crisis",
        "title": "Recognising crisis and escalating",
        "audience": CORE,
        "summary": "What to do when someone may be in danger.",
        "body": """Sometimes a seeker is in danger: thinking about suicide, hurting themselves, being hurt by someone, or unable to keep themselves safe tonight. You are not expected to handle this alone, and you must not try to.

Signs include talk of wanting to die or not be here, saying goodbye, describing a plan or a method, giving things away, or saying someone is hurting them. If you're unsure, ask directly and calmly: "Are you thinking about killing yourself?" Asking does not put the idea in anyone's head; it tells them they can talk about it.

Hearth watches every message and alerts the safety team, but don't wait for that: use the escalate button to bring in safety staff whenever you are worried. Stay with the seeker while help is arranged, keep your messages calm and short, and share the crisis resources Hearth shows. Never promise to keep a risk secret.

If someone is in immediate danger, the safety team and emergency services act; your part is to stay present, kind and steady until they do.""",
        "questions": [
            (
                "A seeker writes: \"I've written letters to everyone, I won't need my things anymore.\" What do you do first?",
                [
                    ("Change the subject to something cheerful", False),
                    (
                        "Ask them directly and calmly whether they are thinking about ending their life, and escalate to safety staff",
                        True,
                    ),
                    ("Wait to see if they say more before doing anything", False),
                ],
                "Saying goodbye and giving things away are warning signs: ask directly and escalate.",
            ),
            (
                "Does asking someone directly about suicide make it more likely?",
                [
                    ("Yes, it plants the idea", False),
                    ("No, it lets them talk about it openly", True),
                    ("Only with teenagers", False),
                ],
                "Asking directly is safe and helpful.",
            ),
            (
                "A seeker asks you to promise not to tell anyone they are planning to hurt themselves. You:",
                [
                    ("Promise, so they keep talking", False),
                    (
                        "Explain kindly that you can't keep that secret because you care about their safety, and bring in the safety team",
                        True,
                    ),
                    ("End the chat", False),
                ],
                "Never promise secrecy about risk.",
            ),
            (
                "Hearth's safety module already watches messages. When should you escalate yourself?",
                [
                    ("Only if the automatic alert fails", False),
                    ("Whenever you are worried about someone's safety", True),
                    ("Never, escalation is automatic", False),
                ],
                "You are a second pair of eyes; don't wait.",
            ),
            (
                "While safety staff are being brought in, you should:",
                [
                    ("Leave the chat so staff can take over", False),
                    ("Stay with the seeker, keep messages calm and share the crisis resources", True),
                    ("Ask for their address so you can call for help yourself", False),
                ],
                "Stay present; never ask for identifying details yourself.",
            ),
        ],
    },
    {
        "slug": "looking-after-yourself",
        "title": "Looking after yourself",
        "audience": CORE,
        "summary": "Listening well over time means resting well.",
        "body": """Listening is meaningful and it is tiring. Hard chats can stay with you for hours or days. That is normal, and it is not a sign you did anything wrong.

Hearth builds in some care: shifts have a maximum length, there's a daily cap on chats, and after a chat that needed the safety team you get a pause and a short debrief prompt before new chats are offered. Use them. Take the pause, answer the debrief questions honestly, and end your shift when you notice you're running on empty.

Know your signs of strain: dreading shifts, feeling numb, replaying chats at night, snapping at people around you. If you notice them, take a break from listening, talk to the safety team, and lean on your own support.

You can't help everyone and you don't have to. Doing your part kindly, then resting, is exactly what the program asks of you.""",
        "questions": [
            (
                "After a chat that needed the safety team, Hearth pauses your new offers. Why?",
                [
                    ("As a penalty for the escalation", False),
                    ("To give you time to breathe and debrief before the next chat", True),
                    ("Because the system needs time to save the chat", False),
                ],
                "The pause is care, not punishment.",
            ),
            (
                "Which is a sign of strain to take seriously?",
                [
                    ("Replaying chats at night and dreading shifts", True),
                    ("Feeling glad a chat went well", False),
                    ("Taking a tea break between chats", False),
                ],
                "Notice the signs early.",
            ),
            (
                "You feel numb partway through a long shift. What is best?",
                [
                    ("Push on, people are waiting", False),
                    ("Finish your current chats and end your shift", True),
                    ("Take more chats at once to get through the queue faster", False),
                ],
                "Rest is part of listening well.",
            ),
            (
                "A chat is still on your mind days later. You could:",
                [
                    ("Talk it through with the safety team", True),
                    ("Search online for the seeker", False),
                    ("Post about it on social media", False),
                ],
                "Support is available inside Hearth; privacy still applies.",
            ),
            (
                "What does the daily chat cap do?",
                [
                    ("Limits how many chats you take in a day so you don't burn out", True),
                    ("Limits how many messages seekers can send", False),
                    ("Ranks listeners against each other", False),
                ],
                "Caps protect your wellbeing.",
            ),
        ],
    },
    {
        "slug": "supporting-teens",
        "title": "Supporting teens (13-17)",
        "audience": TEENS,
        "summary": "Extra care for young seekers. Required, with staff approval, to take chats with teens.",
        "body": """Young people come to Hearth with the same range of things as adults, plus some of their own: exams, friendships, family rules, identity, online life. Take their worries as seriously as any adult's: to them, this is the whole world right now.

The boundaries are even firmer with teens. Never ask their age beyond what Hearth already knows, their school, their town, or anything that could identify them, and never, ever suggest contact outside Hearth. An adult who tries to move a young person to another app is a recognised grooming pattern; Hearth treats any such attempt as a serious safety matter.

Be alert to signs that a young person is being harmed: by an adult at home or online, by pressure to share images, by someone asking them to keep secrets. Don't investigate yourself. Stay calm, believe them, and bring in the safety team straight away.

Don't take sides against parents or carers, and don't promise secrecy. Help them think about trusted adults in their life and share the youth resources Hearth shows.""",
        "questions": [
            (
                'A 15-year-old mentions an online "friend" who asks them to keep their chats secret and send photos. You:',
                [
                    ("Tell them to block the person and move on", False),
                    ("Stay calm, believe them, and bring in the safety team straight away", True),
                    ("Ask for the person's username so you can report them yourself", False),
                ],
                "These are signs of grooming: escalate, don't investigate.",
            ),
            (
                "A teen asks which school you went to, and wants to tell you theirs. You:",
                [
                    ("Share, it helps build rapport", False),
                    ("Explain kindly that Hearth keeps everyone anonymous, so neither of you shares that", True),
                    ("Only share your school", False),
                ],
                "Identifying details are never exchanged, especially with teens.",
            ),
            (
                "A teen is furious with their parents over a curfew. What fits Hearth's approach?",
                [
                    ("Agree the parents are being unreasonable", False),
                    ("Reflect the frustration without taking sides, and explore what they'd like to happen", True),
                    ("Tell them to obey their parents", False),
                ],
                "Stay with the feeling; don't take sides.",
            ),
            (
                "Which is a serious red flag from an adult in a teen's life?",
                [
                    ("Asking them to keep secrets and to move to another app", True),
                    ("Asking how their exams went", False),
                    ("Setting a bedtime", False),
                ],
                "Secrecy and moving platforms are grooming patterns.",
            ),
            (
                "Can you promise a teen you won't tell anyone they're being hurt at home?",
                [
                    ("Yes, confidentiality comes first", False),
                    ("No: explain you care about their safety and bring in the safety team", True),
                    ("Only if they are 16 or older", False),
                ],
                "Never promise secrecy about harm.",
            ),
        ],
    },
]


def seed(apps, schema_editor):
    TrainingModule = apps.get_model("listeners", "TrainingModule")
    QuizQuestion = apps.get_model("listeners", "QuizQuestion")
    QuizOption = apps.get_model("listeners", "QuizOption")
    for order, item in enumerate(COURSE, start=1):
        module, created = TrainingModule.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "title": item["title"],
                "summary": item["summary"],
                "body": item["body"],
                "audience": item["audience"],
                "display_order": order * 10,
            },
        )
        if not created:
            continue
        for q_order, (text, options, explanation) in enumerate(item["questions"], start=1):
            question = QuizQuestion.objects.create(
                module=module, text=text, explanation=explanation, display_order=q_order * 10
            )
            for o_order, (option_text, correct) in enumerate(options, start=1):
                QuizOption.objects.create(
                    question=question, text=option_text, is_correct=correct, display_order=o_order * 10
                )


def unseed(apps, schema_editor):
    apps.get_model("listeners", "TrainingModule").objects.filter(slug__in=[item["slug"] for item in COURSE]).delete()


class Migration(migrations.Migration):
    dependencies = [("listeners", "0003_program")]
    operations = [migrations.RunPython(seed, unseed)]
