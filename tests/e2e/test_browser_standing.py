"""What people see of their own standing (issue 19): the listener's feedback and level, crisis lines
the listener sends in one action, the safety team's warning (live, after a reload, dismissed), and a
seeker's reports with their outcome on the account page. axe-clean at 375 and 1280 px."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    STAFF,
    browser,
    create_listener,
    listener_signs_in_and_starts_shift,
    manage_python,
    new_page,
    run_axe,
    screenshot,
    seeker_asks_for_a_listener,
    server,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SIZES = ({"width": 375, "height": 740}, {"width": 1280, "height": 800})


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def axe_at_both_sizes(page, what: str) -> None:
    for size in SIZES:
        page.set_viewport_size(size)
        assert run_axe(page) == [], f"{what} at {size['width']} px"


def staff_post(page, path: str, body: dict) -> int:
    """A staff action through the REST API from the signed-in staff page (CSRF token from its cookie)."""
    return page.evaluate(
        """async ([path, body]) => {
            const token = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1];
            const reply = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json',
                                      'X-CSRFToken': token}, body: JSON.stringify(body)});
            return reply.status;
        }""",
        [path, body],
    )


def test_feedback_crisis_lines_warning_and_my_reports(browser, server):
    listener_context, listener = new_page(browser, server, width=1280, height=800)
    seeker_context, seeker = new_page(browser, server, width=375, height=740)
    staff_context, staff = new_page(browser, server, width=1280, height=800)
    try:
        # The landing page's "Want to help?" leads to the application, not a sign-in form.
        seeker.goto("/")
        seeker.get_by_role("link", name="Become a listener").click()
        expect(seeker.get_by_role("heading", name="Become a listener", level=1)).to_be_visible()

        # The listener's own feedback and level, and why ratings come in batches.
        listener_signs_in_and_starts_shift(listener)
        feedback = listener.locator("#feedback")
        expect(feedback.get_by_role("heading", name="Your feedback and level")).to_be_visible()
        expect(listener.locator("#feedback-level")).to_have_text(re.compile(r"^Level \d$"))
        expect(listener.locator("#feedback-why")).to_contain_text("Ratings reach you in batches")
        expect(listener.locator("#feedback-why")).to_contain_text("never be matched to the chat it came from")
        expect(listener.locator("#applicant-banner")).to_be_hidden()  # the demo listener is approved

        seeker_asks_for_a_listener(seeker)
        listener.locator(".offer").first.get_by_role("button", name="Accept").click()
        expect(seeker.get_by_role("heading", name=re.compile("You're talking with"))).to_be_visible()

        # One action sends the seeker the crisis lines.
        panel = listener.locator("[role=tabpanel]:not([hidden])")
        panel.get_by_role("button", name="Share crisis lines").click()
        expect(panel).to_contain_text("Crisis lines sent to")
        expect(seeker.locator("#safety-resources")).to_be_visible()
        expect(seeker.locator("#resources-lead")).to_contain_text("Your listener sent you these lines")
        expect(seeker.locator("#safety-resources a[href^='tel:']").first).to_be_visible()
        axe_at_both_sizes(listener, "listener console with feedback")
        screenshot(listener, "listener-feedback")

        # No safety case was raised, yet a reload shows both sides the same: the server keeps it.
        listener.reload()
        panel = listener.locator("[role=tabpanel]:not([hidden])")
        expect(panel.locator(".resources-shared")).to_contain_text("Crisis lines sent to")
        expect(panel.locator(".guidance")).to_be_hidden()
        seeker.reload()
        expect(seeker.get_by_role("heading", name=re.compile("You're talking with"))).to_be_visible()
        expect(seeker.locator("#safety-resources")).to_be_visible()
        expect(seeker.locator("#resources-lead")).to_contain_text("Your listener sent you these lines")

        # The seeker reports the listener.
        seeker.set_viewport_size(SIZES[0])
        seeker.get_by_text("Report or block").click()
        seeker.get_by_role("button", name="Report this listener").click()
        seeker.get_by_label("What happened?").select_option("harassment")
        seeker.get_by_role("button", name="Send report").click()
        expect(seeker.get_by_role("dialog")).to_be_hidden()

        # Staff warn the seeker: the banner appears live, as an alert.
        flag_id = manage_python(
            server,
            "from safety.models import Report; print(Report.objects.order_by('-id').first().flag_id)",
        )
        sign_in(staff, "/staff/", STAFF[0], STAFF[1])
        staff.get_by_role("heading", name=re.compile("Review queue")).first.wait_for()
        assert (
            staff_post(staff, f"/api/v1/staff/flags/{flag_id}/warn", {"target": "seeker", "note": "e2e: rude"}) == 201
        )
        banner = seeker.locator("#warnings")
        expect(banner.get_by_role("alert")).to_contain_text("Please keep to the community guidelines")
        expect(banner).to_contain_text("It stays on your record until")
        assert "e2e: rude" not in (banner.text_content() or "")
        axe_at_both_sizes(seeker, "seeker chat with a warning")
        seeker.set_viewport_size(SIZES[0])
        screenshot(seeker, "seeker-warning-mobile")

        # It is the server's: a reload shows it again until it is dismissed, then never again here.
        seeker.reload()
        expect(seeker.locator("#warnings").get_by_role("alert")).to_contain_text("community guidelines")
        seeker.locator("#warnings").get_by_role("button", name="I understand").click()
        expect(seeker.locator("#warnings")).to_be_hidden()
        seeker.reload()
        expect(seeker.get_by_role("heading", name=re.compile("You're talking with"))).to_be_visible()
        expect(seeker.locator("#warnings")).to_be_hidden()

        # My reports, with the outcome in words: under review, then reviewed once resolved.
        seeker.goto("/account/")
        reports = seeker.locator("#reports-list li")
        expect(reports).to_have_count(1)
        expect(reports.first).to_contain_text("The other person, for “Harassment”")
        expect(reports.first).to_contain_text("Under review")
        assert staff_post(staff, f"/api/v1/staff/flags/{flag_id}/resolve", {"note": "e2e: warned"}) == 200
        seeker.reload()
        expect(seeker.locator("#reports-list li").first).to_contain_text("Reviewed — action taken")
        assert "e2e: warned" not in (seeker.locator("#reports-list").text_content() or "")
        axe_at_both_sizes(seeker, "account page with my reports")
        seeker.set_viewport_size(SIZES[0])
        screenshot(seeker, "account-reports-mobile")

        for page in (listener, seeker, staff):
            page.errors.assert_clean()
    finally:
        staff_context.close()
        seeker_context.close()
        listener_context.close()


def test_an_applicant_sees_what_happens_next_their_own_topics_and_the_next_module(browser, server):
    create_listener(server, username="applicant", alias="NewWillow", password="applicant-pass-123")
    manage_python(
        server,
        """
from listeners.models import ListenerProfile
from support.models import Topic
profile = ListenerProfile.objects.get(user__username="applicant")
profile.status = "pending"
profile.trained_at = None
profile.save()
profile.topics.set(Topic.objects.filter(slug__in=["anxiety", "sleep"]))
""",
    )
    context, page = new_page(browser, server, width=1280, height=800)
    try:
        sign_in(page, "/listen/", "applicant", "applicant-pass-123")
        banner = page.locator("#applicant-banner")
        expect(banner.get_by_role("heading", name="Your application is being reviewed")).to_be_visible()
        expect(banner).to_contain_text("required modules passed so far")
        expect(banner).to_contain_text("reads your application and your practice chat")
        checked = page.locator("#shift-topics input:checked")
        expect(checked).to_have_count(2)
        assert sorted(checked.evaluate_all("inputs => inputs.map(i => i.value)")) == ["anxiety", "sleep"]
        axe_at_both_sizes(page, "an applicant's console")
        page.set_viewport_size(SIZES[1])
        screenshot(page, "listener-applicant")

        banner.get_by_role("link", name="Go to the training course").click()
        first = page.locator("#course a").first
        first.click()
        expect(page.locator("#module-position")).to_have_text(re.compile(r"^Module 1 of \d+$"))
        next_link = page.get_by_role("link", name=re.compile("^Next module: "))
        expect(next_link).to_be_visible()
        next_link.click()
        expect(page.locator("#module-position")).to_have_text(re.compile(r"^Module 2 of \d+$"))
        axe_at_both_sizes(page, "a training module with its next module")
        page.errors.assert_clean()
    finally:
        context.close()
