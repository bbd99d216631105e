"""Masking of personal information in chat messages (pure: no Django)."""

from __future__ import annotations

import random

import pytest

from safety.classifier import Category, Level, MaskResult, assess, mask_personal_info
from safety.classifier.pii.evaluation import DEFAULT_CORPUS, evaluate, load_corpus


def masked(text: str) -> str:
    return mask_personal_info(text).text


@pytest.mark.parametrize(
    "text, number",
    [
        ("call me on (555) 123-4567", "(555) 123-4567"),  # US
        ("text me 555.123.4567 later", "555.123.4567"),
        ("my cell is 555-123-4567", "555-123-4567"),
        ("ring +1 555 123 4567", "+1 555 123 4567"),
        ("+1 (202) 555-0143 is my whatsapp", "+1 (202) 555-0143"),
        ("my number is 07700 900123", "07700 900123"),  # UK mobile
        ("+44 7700 900123 thats me", "+44 7700 900123"),
        ("landline 020 7946 0958", "020 7946 0958"),
        ("call 0049 30 1234 5678", "0049 30 1234 5678"),  # international
        ("+61 412-345-678 is my aussie number", "+61 412-345-678"),
        ("5551234567", "5551234567"),
        ("my cell is 5 5 5 2 1 2 9 8 7 6", "5 5 5 2 1 2 9 8 7 6"),  # digits spaced out
    ],
)
def test_phone_numbers_are_masked(text, number):
    result = mask_personal_info(text)
    assert number not in result.text
    assert "[phone removed]" in result.text
    assert "phone" in result.kinds
    (span,) = result.spans
    assert text[span.start : span.end] == number


def test_phone_number_spelled_in_words():
    result = mask_personal_info("my number is zero seven seven zero zero nine zero zero one two three")
    assert result.text == "my number is [phone removed]"


@pytest.mark.parametrize(
    "text, email",
    [
        ("email me at jess.w@gmail.com", "jess.w@gmail.com"),
        ("sophie_r92@hotmail.co.uk is my email", "sophie_r92@hotmail.co.uk"),
        ("it's jessw at gmail dot com", "jessw at gmail dot com"),
        ("sam (at) outlook (dot) com", "sam (at) outlook (dot) com"),
        ("Contact: First.Last+hearth@Example.ORG.", "First.Last+hearth@Example.ORG"),
    ],
)
def test_emails_are_masked(text, email):
    result = mask_personal_info(text)
    assert email not in result.text
    assert "[email removed]" in result.text
    assert result.kinds == frozenset({"email"})
    assert any(text[s.start : s.end] == email for s in result.spans)


@pytest.mark.parametrize(
    "text, address",
    [
        ("i live at 12 Elm Street if you wanna visit", "12 Elm Street"),
        ("i'm at 221B Baker St lol", "221B Baker St"),
        ("come to 45 oak avenue", "45 oak avenue"),
        ("1600 Pennsylvania Ave", "1600 Pennsylvania Ave"),
        ("3 Church Lane, Oxford", "3 Church Lane"),
    ],
)
def test_street_addresses_are_masked(text, address):
    result = mask_personal_info(text)
    assert address not in result.text
    assert "[address removed]" in result.text
    assert "address" in result.kinds


@pytest.mark.parametrize(
    "text, handle",
    [
        ("my insta is @dan.the.man", "@dan.the.man"),
        ("follow @sadboi_22 on tiktok", "@sadboi_22"),
        ("insta: sophiee.r", "sophiee.r"),
        ("my snap is lilyxo_22", "lilyxo_22"),
        ("add me on snap its lilyxo_22", "lilyxo_22"),
        ("add me on discord name#1234", "name#1234"),
        ("discord is nightowl#4521", "nightowl#4521"),
        ("my tiktok username is coolkid", "coolkid"),
    ],
)
def test_social_handles_are_masked(text, handle):
    result = mask_personal_info(text)
    assert handle not in result.text
    assert "[handle removed]" in result.text
    assert "handle" in result.kinds
    assert any(text[s.start : s.end] == handle for s in result.spans)


@pytest.mark.parametrize("text", ["my insta is private", "i deleted my snapchat yesterday", "discord is down again"])
def test_platform_names_without_a_handle_are_kept(text):
    assert masked(text) == text


@pytest.mark.parametrize(
    "text, link",
    [
        ("here's the link https://youtu.be/abc123 its the song", "https://youtu.be/abc123"),
        ("check http://example.org/page?x=1.", "http://example.org/page?x=1"),
        ("my art is at www.artbylily.com", "www.artbylily.com"),
        ("go to example.com for it", "example.com"),
        ("sophiesart.net/gallery has my stuff", "sophiesart.net/gallery"),
    ],
)
def test_links_are_masked(text, link):
    result = mask_personal_info(text)
    assert link not in result.text
    assert "[link removed]" in result.text
    assert "link" in result.kinds
    assert any(text[s.start : s.end] == link for s in result.spans)


@pytest.mark.parametrize(
    "text",
    [
        "is 988 the number i can call?",
        "the samaritans number is 116 123",
        "text HOME to 741741",
        "call 1-800-273-8255 if you need to",
        "childline is 0800 1111",
        "call 999 or 911 in an emergency",
    ],
)
def test_helpline_numbers_are_not_masked(text):
    result = mask_personal_info(text)
    assert result.text == text
    assert result.spans == ()
    assert result.kinds == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "I'm 16",
        "i go to the gym 3 times a day",
        "i woke up at 2am",
        "we moved here in 2019",
        "i walked 10000 steps today",
        "it costs £20 or $25.99",
        "my exam is on 12/05/2025",
        "the date was 12.05.2024",
        "i've been clean for 8 months and 3 days",
        "room 101",
        "between 2019 and 2021",
        "i slept 7.5 hours",
        "i.e. the thing we said",
        "meet at 10:30",
    ],
)
def test_ordinary_numbers_and_text_are_not_masked(text):
    assert masked(text) == text


def test_several_kinds_in_one_message_and_spans_point_into_the_original():
    text = "Hi! Call +44 7700 900123, email me@x.io or see www.site.com — I live at 9 Rose Lane. insta: jo.b"
    result = mask_personal_info(text)
    assert isinstance(result, MaskResult)
    assert result.kinds == frozenset({"phone", "email", "link", "address", "handle"})
    assert [text[s.start : s.end] for s in result.spans] == [
        "+44 7700 900123",
        "me@x.io",
        "www.site.com",
        "9 Rose Lane",
        "jo.b",
    ]
    assert all(s.category is Category.PERSONAL_INFO for s in result.spans)
    assert result.text == (
        "Hi! Call [phone removed], email [email removed] or see [link removed] — "
        "I live at [address removed]. insta: [handle removed]"
    )


def test_unicode_before_pii_keeps_offsets_right():
    text = "😊😊 ça va? my email is zoë@example.com"
    result = mask_personal_info(text)
    (span,) = result.spans
    assert text[span.start : span.end] == "zoë@example.com"


def test_nothing_to_mask():
    result = mask_personal_info("just a normal message")
    assert result == MaskResult("just a normal message", (), frozenset())


def test_empty_text():
    assert mask_personal_info("").text == ""


def test_assess_reports_personal_info_without_raising_the_level():
    a = assess("add me on snap its lilyxo_22")
    assert a.level is Level.NONE
    assert a.categories == frozenset({Category.PERSONAL_INFO})
    assert "handle" in a.reason


# ---------------------------------------------------------------------------
# disguised contact details


def masked_stretches(text: str) -> list[str]:
    return [text[s.start : s.end] for s in mask_personal_info(text).spans]


@pytest.mark.parametrize(
    "text, number",
    [
        ("call me on 0 7 7 0 0-9 0 0.1 2 3", "0 7 7 0 0-9 0 0.1 2 3"),
        ("0*7*7*0*0*9*0*0*1*2*3", "0*7*7*0*0*9*0*0*1*2*3"),
        ("07700/900/123 thats me", "07700/900/123"),
        ("text 07700—900—123", "07700—900—123"),
        ("my number: 07700_900_123", "07700_900_123"),
    ],
)
def test_a_phone_number_with_spaces_or_separators_between_the_digits_is_masked(text, number):
    assert masked_stretches(text) == [number]
    assert mask_personal_info(text).kinds == frozenset({"phone"})


@pytest.mark.parametrize(
    "text, number",
    [
        ("oh seven seven oh oh nine oh oh one two three", "oh seven seven oh oh nine oh oh one two three"),
        (
            "zero double seven double zero nine double zero one two three",
            "zero double seven double zero nine double zero one two three",
        ),
        ("ring zero7seven7zero0nine0zero0one2three ok", "zero7seven7zero0nine0zero0one2three"),
        ("its 0 seven seven 0 0 nine 0 0 one 2 3", "0 seven seven 0 0 nine 0 0 one 2 3"),
        ("seven one eight, five five five, zero one nine nine", "seven one eight, five five five, zero one nine nine"),
        ("O77OO 9OO l23", "O77OO 9OO l23"),
        ("oh seven seven hundred, nine hundred, one two three", "oh seven seven hundred, nine hundred, one two three"),
    ],
)
def test_a_phone_number_written_in_words_or_look_alike_letters_is_masked(text, number):
    assert masked_stretches(text) == [number]


def test_fullwidth_and_keycap_digits_are_masked_and_the_span_covers_the_original():
    for text, number in [
        ("０７７００ ９００１２３ is me", "０７７００ ９００１２３"),
        ("call 0️⃣7️⃣7️⃣0️⃣0️⃣9️⃣0️⃣0️⃣1️⃣2️⃣3️⃣", "0️⃣7️⃣7️⃣0️⃣0️⃣9️⃣0️⃣0️⃣1️⃣2️⃣3️⃣"),
        ("𝟎𝟕𝟕𝟎𝟎𝟗𝟎𝟎𝟏𝟐𝟑", "𝟎𝟕𝟕𝟎𝟎𝟗𝟎𝟎𝟏𝟐𝟑"),
    ]:
        assert masked_stretches(text) == [number]


def test_zero_width_characters_between_digits_do_not_hide_a_number():
    text = "my digits are 0\u200b7\u200b7\u200b0\u200b0\u200b9\u200b0\u200b0\u200b1\u200b2\u200b3 ok"
    assert mask_personal_info(text).text == "my digits are [phone removed] ok"


@pytest.mark.parametrize(
    "text",
    [
        "luna at gmail dot com",
        "luna (at) gmail (dot) com",
        "luna[at]gmail[dot]com",
        "luna {at} outlook {dot} co {dot} uk",
        "luna @ gmail . com",
        "my email is luna at hotmail",
        "LUNA AT GMAIL DOT COM",
        "lunа@gmаil.com",  # Cyrillic a
        "ｌｕｎａ＠ｇｍａｉｌ．ｃｏｍ",
        "l\u200bu\u200bn\u200ba@gmail.com",
    ],
)
def test_an_email_with_at_and_dot_spelled_out_bracketed_or_disguised_is_masked(text):
    result = mask_personal_info(text)
    assert result.kinds == frozenset({"email"})
    assert "luna" not in result.text.lower() and "lunа" not in result.text


@pytest.mark.parametrize(
    "text, handle",
    [
        ("snap luna_x22", "luna_x22"),
        ("add me on insta its luna.x", "luna.x"),
        ("my discord is kai#1234", "kai#1234"),
        ("tele: @x", "@x"),
        ("ig-luna", "luna"),
        ("my snapchat username: lunaxo", "lunaxo"),
        ("luna_x22 on snap", "luna_x22"),
        ("1nsta: lunaxo", "lunaxo"),
        ("my snаp is lunaxo", "lunaxo"),  # Cyrillic a in the platform name
        ("whats ur snap? mine is luna09", "luna09"),
        ("my insta’s lunaxo", "lunaxo"),
        ("ｓｎａｐ ｌｕｎａ＿ｘ２２", "ｌｕｎａ＿ｘ２２"),
    ],
)
def test_a_platform_name_followed_by_a_handle_masks_the_handle(text, handle):
    assert masked_stretches(text) == [handle]
    assert mask_personal_info(text).kinds == frozenset({"handle"})


def test_a_phone_number_after_a_platform_name_is_masked_as_a_phone():
    assert mask_personal_info("wa 07700900123").text == "wa [phone removed]"


@pytest.mark.parametrize(
    "text, link",
    [
        ("mysite.xyz/abc", "mysite.xyz/abc"),
        ("t.me/luna", "t.me/luna"),
        ("join discord.gg/abc", "discord.gg/abc"),
        ("wa.me/447700900123", "wa.me/447700900123"),
        ("lunaart dot com", "lunaart dot com"),
        ("lunaart[.]com", "lunaart[.]com"),
        ("lunaart.carrd.co", "lunaart.carrd.co"),
        ("instagram.com/luna.x is me", "instagram.com/luna.x"),
    ],
)
def test_a_link_without_a_scheme_is_masked(text, link):
    assert masked_stretches(text) == [link]
    assert mask_personal_info(text).kinds == frozenset({"link"})


@pytest.mark.parametrize(
    "text",
    [
        "im 15",
        "i'm 15 and in year 10",
        "at 10:30",
        "it's 2am",
        "it was £12.99",
        "$1,000",
        "20 pills",
        "3 times",
        "12/05/2024",
        "2024-05-12",
        "from 12/05/2024 to 14/05/2024",
        "grade 9",
        "50%",
        "version 2.1.3",
        "we won 3-2",
        "2019-2021 were hard",
        "in 2019 2020 and 2021 i was sad",
        "i have 1 2 3 4 5 6 7 8 9 10 reasons",
        "i scored 100 100 95",
        "1,000,000 views",
        "one two three four five six seven eight nine ten",
        "nineteen ninety nine",
        "i have fifteen hundred followers",
    ],
)
def test_an_age_a_time_a_price_a_date_or_a_count_is_left_alone(text):
    assert masked(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "at school",
        "dot the i's",
        "snap decision",
        "i'm on insta a lot",
        "meet at the mall",
        "ig that's fair",
        "ig it's fine",
        "my insta is private",
        "my snapchat streak is 300 days",
        "discord is down",
        "oh snap",
        "i'm at gmail",
        "look at gmail.com",
        "google.com is down",
        "i'm fine.me too",
        "e.g. breathing",
        "@ the park",
        "see you @ 5",
        "issue #1234",
        "one two three breathe",
        "oh no oh no",
    ],
)
def test_sentences_that_look_like_contact_details_are_left_alone(text):
    assert masked(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "kids help phone is 1-800-668-6868",
        "childhelp 1-800-422-4453",
        "ireland childline 1800 66 66 66",
        "text HELLO to 50808",
        "kids helpline 1800 55 1800",
        "findahelpline.com has every country",
        "https://www.samaritans.org",
        "ring 116 123, 0800 1111",
    ],
)
def test_helplines_and_help_sites_that_hearth_shows_are_left_alone(text):
    assert masked(text) == text


def test_a_help_site_name_inside_another_domain_is_still_masked():
    assert masked("https://findahelpline.com.evil.example.com/x") == "[link removed]"


# ---------------------------------------------------------------------------
# the corpus (safety/data/masking/masking_en.csv)


def test_the_masking_corpus_holds_300_disguised_and_300_ordinary_texts_in_two_splits():
    rows = load_corpus()
    assert sum(1 for r in rows if r.secrets) >= 300
    assert sum(1 for r in rows if not r.secrets) >= 300
    assert {r.split for r in rows} == {"dev", "test"}


def test_the_dev_corpus_is_masked_with_recall_of_at_least_95_percent_and_at_most_1_percent_false_masking():
    dev = [r for r in load_corpus(DEFAULT_CORPUS) if r.split == "dev"]
    score = evaluate(dev)["dev"]
    missed = [r.text for r, _ in score.missed]
    changed = [r.text for r, _ in score.overmasked]
    assert score.recall >= 0.95, missed
    assert score.false_masking <= 0.01, changed


# ---------------------------------------------------------------------------
# bad input


def assert_well_formed(text: str) -> None:
    result = mask_personal_info(text)
    assert isinstance(result.text, str)
    pos = 0
    rebuilt = []
    for span in result.spans:
        assert pos <= span.start < span.end <= len(text)
        rebuilt.append(text[pos : span.start])
        rebuilt.append("[" + span.rule.removeprefix("pii.") + " removed]")
        pos = span.end
    rebuilt.append(text[pos:])
    assert "".join(rebuilt) == result.text


@pytest.mark.parametrize(
    "text",
    [
        "\ud800\udfff lone surrogates 0\ud8007\udc007 and \x00 NUL \x00",
        "😊" * 2000,
        "\x00" * 500 + "07700900123",
        "\u200b" * 3000,
        "\u0301" * 1000 + "a@b.com",
        "￿\ufffe\U0010ffff" * 100,
    ],
)
def test_strange_unicode_never_raises_and_spans_stay_inside_the_text(text):
    assert_well_formed(text)


@pytest.mark.parametrize(
    "unit",
    [
        "a dot ",
        "a at ",
        "1 ",
        "one ",
        "1a",
        "a.",
        "@",
        "x_",
        "luna_x22 on ",
        "snap ",
        "my insta is ",
        "www.",
        "http://",
        "a#1234",
        "u/",
        "+(",
        "0\u200b",
        "ol1",
        "[at]",
        "a@b.",
        "a at b dot ",
        "0     ",
    ],
)
def test_long_adversarial_messages_are_masked_without_error(unit):
    assert_well_formed(unit * (8000 // len(unit)))


def test_random_text_always_gives_spans_that_rebuild_the_masked_text():
    rng = random.Random(7)
    alphabet = "abc xyz019@.:/_-#()[]+ oh seven snap insta at dot com\u200b０ａ😊\ud800\x00"
    for _ in range(300):
        assert_well_formed("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))))
