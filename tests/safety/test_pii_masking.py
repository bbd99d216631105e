"""Masking of personal information in chat messages (pure: no Django)."""

from __future__ import annotations

import pytest

from safety.classifier import Category, Level, MaskResult, assess, mask_personal_info


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
    assert text[span.start:span.end] == number


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
    assert any(text[s.start:s.end] == email for s in result.spans)


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
    assert any(text[s.start:s.end] == handle for s in result.spans)


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
    assert any(text[s.start:s.end] == link for s in result.spans)


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
    assert [text[s.start:s.end] for s in result.spans] == [
        "+44 7700 900123", "me@x.io", "www.site.com", "9 Rose Lane", "jo.b",
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
    assert text[span.start:span.end] == "zoë@example.com"


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
