"""The volunteer path in Chromium (issue 19): the public "Become a listener" page, the server's refusals
shown beside the fields they are about, the training course in the server's order with "Next
module", and what an applicant sees while the Hearth team decides. axe-clean at 375 and 1280 px."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    STAFF,
    axe_at_both_sizes,
    browser,
    manage_python,
    new_page,
    screenshot,
    server,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def error_beside(page, field_id: str):
    """The error line placed right after a field (what a sighted user reads next to it)."""
    return page.locator(f"#{field_id} + .form-error")


def course(server) -> list[dict]:
    """The active modules in the course's order, each with its questions' right answers by text."""
    return json.loads(
        manage_python(
            server,
            """
import json
from listeners.models import TrainingModule
print(json.dumps([
    {"slug": m.slug, "title": m.title, "audience": m.audience,
     "answers": {q.text: [o.text for o in q.options.all() if o.is_correct][0] for q in m.questions.all()}}
    for m in TrainingModule.objects.filter(is_active=True).order_by("display_order", "pk")
]))
""",
        )
    )


def pass_the_quiz(page, answers: dict) -> None:
    questions = page.locator("#quiz-questions fieldset")
    expect(questions.first).to_be_visible()
    for index in range(questions.count()):
        fieldset = questions.nth(index)
        text = re.sub(r"^\d+\. ", "", fieldset.locator("legend").text_content() or "")
        fieldset.get_by_label(answers[text], exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator("#result-title")).to_have_text(re.compile(r"^Passed with \d+%$"))


def test_an_applicant_applies_is_told_what_to_fix_takes_the_course_in_order_and_waits_for_a_decision(browser, server):
    modules = course(server)
    core = [module for module in modules if module["audience"] == "core"]
    assert len(modules) >= 2 and core
    context, page = new_page(browser, server, width=375, height=740)
    staff_context, staff = new_page(browser, server, width=1280, height=800)
    try:
        page.goto("/")
        page.get_by_role("link", name="Become a listener").click()
        expect(page.get_by_role("heading", name="Become a listener", level=1)).to_be_visible()
        axe_at_both_sizes(page, "the application form")

        # Nothing filled in: each refusal sits beside its own field, and focus goes to the first.
        page.get_by_role("button", name="Apply").click()
        expect(error_beside(page, "apply-username")).not_to_be_empty()
        expect(error_beside(page, "apply-password")).not_to_be_empty()
        expect(error_beside(page, "apply-alias")).not_to_be_empty()
        expect(error_beside(page, "apply-age")).not_to_be_empty()
        expect(page.locator("#apply-username")).to_be_focused()
        expect(page.locator("#apply-username")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#apply-username")).to_have_accessible_description(
            error_beside(page, "apply-username").text_content()
        )
        expect(error_beside(page, "apply-bio")).to_be_empty()
        axe_at_both_sizes(page, "the application form with errors")
        screenshot(page, "listener-apply-errors-mobile")

        page.get_by_label("Username (for signing in, never shown)").fill("e2e-applicant")
        page.get_by_label("Password").fill("a long enough passphrase 42")
        page.get_by_label("Display name seekers see").fill("KindMaple7")
        page.get_by_label("Anxiety").check()
        page.get_by_label("Your age").fill("16")
        page.get_by_label(re.compile("I declare that I am")).check()
        for index, reply in enumerate(page.locator("textarea[data-practice-turn]").all()):
            reply.fill(f"That sounds hard. I'm here and listening; tell me more when you're ready ({index}).")
        # Too young: said beside the age, the earlier errors gone.
        page.get_by_role("button", name="Apply").click()
        expect(error_beside(page, "apply-age")).to_contain_text("18")
        expect(error_beside(page, "apply-username")).to_be_empty()
        expect(page.locator("#apply-username")).not_to_have_attribute("aria-invalid", "true")
        expect(page.locator("#apply-age")).to_be_focused()

        page.get_by_label("Your age").fill("30")
        page.get_by_role("button", name="Apply").click()

        # The course, in the server's order.
        expect(page.get_by_role("heading", name="Listener training", level=1)).to_be_visible()
        expect(page.locator("#course li h2")).to_have_text([module["title"] for module in modules])
        expect(page.locator("#course-progress-text")).to_contain_text(f"0 of {len(core)} required modules passed")
        axe_at_both_sizes(page, "the training overview")

        # Module after module through "Next module", passing each quiz.
        page.locator("#course a").first.click()
        for number, module in enumerate(modules, start=1):
            expect(page.get_by_role("heading", name=module["title"], level=1)).to_be_visible()
            expect(page.locator("#module-position")).to_have_text(f"Module {number} of {len(modules)}")
            pass_the_quiz(page, module["answers"])
            if number == 1:
                axe_at_both_sizes(page, "a passed module with its next module")
                screenshot(page, "listener-training-module-mobile")
            if number == len(modules):
                expect(page.get_by_role("link", name=re.compile("^Next module"))).to_be_hidden()
                break
            page.get_by_role("link", name=f"Next module: {modules[number]['title']}").click()

        # Waiting for the Hearth team: said plainly, and no shift to start until they approve.
        page.goto("/listen/")
        banner = page.locator("#applicant-banner")
        expect(banner.get_by_role("heading", name="Your application is being reviewed")).to_be_visible()
        expect(banner).to_contain_text("Your training is complete")
        expect(banner).to_contain_text("reads your application and your practice chat")
        expect(banner.get_by_role("link", name="Go to the training course")).to_be_hidden()
        expect(page.get_by_role("button", name="Start shift")).to_be_hidden()
        expect(page.get_by_role("heading", name="Incoming requests")).to_be_hidden()
        expect(page.get_by_role("heading", name="When people are waiting")).to_be_hidden()
        axe_at_both_sizes(page, "an applicant waiting for a decision")
        screenshot(page, "listener-applicant-waiting-mobile")

        # A listener manager approves: the console changes at once, with no reload.
        manage_python(
            server,
            f"""
from django.contrib.auth.models import Group
from support.models import User
User.objects.get(username={STAFF[0]!r}).groups.add(Group.objects.get(name="Listener managers"))
""",
        )
        listener_id = manage_python(
            server, "from support.models import User; print(User.objects.get(username='e2e-applicant').pk)"
        )
        sign_in(staff, "/staff/", STAFF[0], STAFF[1])
        staff.get_by_role("heading", name=re.compile("Review queue")).first.wait_for()
        approved = staff.evaluate(
            """async (path) => {
                const token = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1];
                const reply = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json',
                                          'X-CSRFToken': token}, body: JSON.stringify({note: 'e2e: practice chat read'})});
                return reply.status;
            }""",
            f"/api/v1/staff/listeners/{listener_id}/approve",
        )
        assert approved == 200
        expect(banner).to_be_hidden()
        expect(page.get_by_role("button", name="Start shift")).to_be_visible()
        expect(page.get_by_role("heading", name="Incoming requests")).to_be_visible()
        page.errors.assert_clean()
    finally:
        staff_context.close()
        context.close()
