"""The web pages: they render, carry the CSP, set the CSRF cookie and contain no inline script."""

from __future__ import annotations

import re

import pytest

from support.helplines import helplines_for

PAGES = [
    "/",
    "/talk/",
    "/account/",
    "/privacy/",
    "/listen/",
    "/listen/apply/",
    "/listen/training/",
    "/listen/training/basics/",
    "/staff/",
    "/rooms/",
    "/rooms/1/",
]


@pytest.fixture
def client():
    from django.test import Client

    return Client()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_page_renders_with_strict_csp_and_csrf_cookie(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "csrftoken" in response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_inline_script_style_or_event_handler(client, path):
    html = response_html(client, path)
    # Data from the server (json_script) is never executed, so CSP allows it: only code must come from a file.
    code = re.sub(r'<script id="[a-z-]+" type="application/json">[^<]*</script>', "", html)
    for tag in re.findall(r"<script\b[^>]*>", code):
        assert "src=" in tag, f"inline script on {path}: {tag}"
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", code), f"script with a body on {path}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), f"inline event handler on {path}"
    assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE), f"inline style on {path}"
    assert "<style" not in html


# The safety team's desk is for staff, not for people in crisis: the band would only crowd it.
PEOPLE_PAGES = [path for path in PAGES if path != "/staff/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PEOPLE_PAGES)
def test_every_page_shows_crisis_resources_without_javascript(client, path):
    html = response_html(client, path)
    assert "In danger right now?" in html
    for line in helplines_for(None):
        assert line["name"].replace("&", "&amp;") in html
        assert line["contact"] in html


@pytest.mark.django_db
def test_the_staff_desk_has_no_seeker_helpline_band_but_gets_its_overdue_time_from_the_server(client, settings):
    settings.SAFETY_UNCLAIMED_OVERDUE_SECONDS = 75
    html = response_html(client, "/staff/")
    assert "In danger right now?" not in html and 'id="crisis-band"' not in html
    assert '"unclaimed_overdue_seconds": 75' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/talk/", "/listen/", "/staff/", "/rooms/1/"])
def test_pages_that_send_messages_get_the_length_limits_from_the_settings(client, settings, path):
    import json

    settings.CHAT_MAX_MESSAGE_CHARS = 1234
    settings.MATCHING_MAX_NOTE_CHARS = 99
    html = response_html(client, path)
    block = re.search(r'<script id="client-limits" type="application/json">([^<]*)</script>', html)
    assert block, f"no client-limits on {path}"
    limits = json.loads(block.group(1))
    assert limits["message_max_chars"] == 1234
    assert limits["request_note_max_chars"] == 99
    assert limits["room_report_reason_max_chars"] == 200


@pytest.mark.django_db
def test_the_request_note_field_takes_its_length_from_the_setting(client, settings):
    settings.MATCHING_MAX_NOTE_CHARS = 99
    html = response_html(client, "/talk/")
    assert 'id="note" name="note" rows="3" maxlength="99"' in html
    assert "Up to 99 characters." in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_pages_use_only_local_assets(client, path):
    html = response_html(client, path)
    for url in re.findall(r'src="([^"]+)"', html) + re.findall(r'<link\b[^>]*href="([^"]+)"', html):
        assert url.startswith(("/", "#")) and not url.startswith("//"), f"external asset on {path}: {url}"
    # Links leave the site only to reach a crisis line: a call, a text or its https page.
    for url in re.findall(r'<a\b[^>]*href="([^"]+)"', html):
        assert url.startswith(("/", "#", "tel:", "sms:", "https://")) and not url.startswith("//"), (
            f"unexpected link on {path}: {url}"
        )


@pytest.mark.django_db
def test_landing_says_what_hearth_is_and_is_not(client):
    html = response_html(client, "/")
    assert "Talk to someone now" in html
    assert "Not a crisis or emergency service" in html
    assert "Not therapy" in html


@pytest.mark.django_db
def test_age_question_is_a_labelled_number_input_not_a_checkbox(client):
    html = response_html(client, "/talk/")
    assert re.search(r'<label for="age">How old are you\?</label>', html)
    assert re.search(r'<input id="age"[^>]*type="number"', html)


@pytest.mark.django_db
def test_every_form_control_has_a_label(client):
    for path in PAGES:
        html = response_html(client, path)
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for control in re.findall(r"<(?:input|textarea|select)\b[^>]*>", html):
            if 'type="radio"' in control or 'type="checkbox"' in control:
                continue  # wrapped in their <label class="choice">
            control_id = re.search(r'id="([^"]+)"', control)
            assert control_id and control_id.group(1) in labelled, f"unlabelled control on {path}: {control}"


@pytest.mark.django_db
def test_pages_announce_changes_through_a_live_region(client):
    html = response_html(client, "/talk/")
    assert 'id="announcer"' in html and 'aria-live="polite"' in html


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_samesite(client, settings):
    assert settings.SESSION_COOKIE_HTTPONLY is True
    response = client.get("/")
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_static_modules_never_use_innerhtml_or_eval():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "frontend" / "static" / "frontend" / "js"
    sources = list(root.glob("*.js"))
    assert sources
    for source in sources:
        text = source.read_text()
        code = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)  # comments may name what we avoid
        banned = re.search(
            r"\.(?:innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function", code
        )
        assert banned is None, f"{banned.group(0)} in {source.name}"


@pytest.mark.django_db
def test_landing_and_the_seeker_flow_link_to_group_rooms(client):
    assert 'href="/rooms/" id="rooms-link"' in response_html(client, "/")
    talk = response_html(client, "/talk/")
    assert 'href="/rooms/" id="rooms-from-topic"' in talk
    assert 'href="/rooms/"' in response_html(client, "/staff/")  # the main navigation, on every page


@pytest.mark.django_db
def test_room_page_carries_its_id_for_the_script_and_has_a_labelled_composer_and_pinned_guideline(client):
    html = response_html(client, "/rooms/42/")
    assert 'data-room="42"' in html
    assert '<label for="room-input" class="visually-hidden">Your message to the room</label>' in html
    assert 'id="guideline"' in html and "I agree to the guideline" in html
    assert 'id="safety-resources"' in html


@pytest.mark.django_db
def test_room_page_ids_that_are_not_numbers_are_not_found(client):
    assert client.get("/rooms/abc/").status_code == 404


def response_html(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_application_form_asks_for_the_adult_declaration_says_why_and_shows_the_practice_chat(client):
    from listeners.practice import PRACTICE_SCRIPT
    from listeners.services import ADULT_ONLY_REASON

    html = response_html(client, "/listen/apply/")
    assert 'name="adult_declared"' in html
    assert "I declare that I am 18 or older" in html
    assert ADULT_ONLY_REASON in html  # why: teens and people in crisis, said once, by the server
    for turn in PRACTICE_SCRIPT:
        assert turn.replace("'", "&#x27;") in html
    assert html.count("data-practice-turn=") == len(PRACTICE_SCRIPT)
    assert "/static/frontend/js/apply.js" in html
