"""Which crisis lines a seeker is shown, in which order: one rule, support.helplines.helplines_for."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from support.helplines import _load, countries, helpline_choices, helplines_for


def kinds(lines):
    return [line["kind"] for line in lines]


def test_imminent_risk_puts_emergency_services_first():
    lines = helplines_for("US", "adult", urgent=True)
    assert lines[0]["name"] == "Emergency services"
    assert lines[0]["links"][0]["href"] == "tel:911"


def test_without_imminent_risk_the_crisis_lines_come_first_and_emergency_is_still_listed():
    lines = helplines_for("GB", "adult", urgent=False)
    assert lines[0]["name"] == "Samaritans"
    assert "emergency" in kinds(lines)
    assert kinds(lines).index("emergency") > kinds(lines).index("crisis")


def test_an_adult_is_never_shown_a_child_line_and_a_teen_is():
    for code in ("US", "GB", "IE", "CA", "AU"):
        assert all(line["audience"] in {"all", "adult"} for line in helplines_for(code, "adult"))
    assert any(line["name"].startswith("Childline") for line in helplines_for("GB", "teen"))
    assert not any(line["name"].startswith("Childline") for line in helplines_for("GB", "adult"))


def test_an_unknown_age_keeps_every_line():
    assert any(line["audience"] == "teen" for line in helplines_for("GB", None))


def test_lines_are_for_the_chosen_country_else_the_default(settings):
    settings.SAFETY_DEFAULT_COUNTRY = "GB"
    assert helplines_for("AU", "adult", urgent=True)[0]["contact"] == "Call 000"
    assert helplines_for(None, "adult", urgent=True)[0]["contact"] == "Call 999"
    assert helplines_for("ZZ", "adult", urgent=True)[0]["contact"] == "Call 999"


def test_text_lines_open_the_messaging_app_with_their_keyword():
    shout = next(line for line in helplines_for("GB", "adult") if line["name"] == "Shout")
    assert {"kind": "text", "href": "sms:85258?&body=SHOUT", "label": "Text Shout (SHOUT)"} in shout["links"]
    samaritans = next(line for line in helplines_for("GB", "adult") if line["name"] == "Samaritans")
    assert [link["href"] for link in samaritans["links"]] == ["tel:116123"]


def test_the_countries_a_seeker_can_choose_are_named_and_each_has_both_orders_per_age():
    listed = countries()
    assert {"code": "IE", "name": "Ireland"} in listed
    choices = helpline_choices()
    assert set(choices["lines"]) == {entry["code"] for entry in listed}
    assert choices["lines"]["CA"]["adult"]["urgent"] == helplines_for("CA", "adult", urgent=True)
    assert choices["lines"]["CA"]["unknown"]["calm"] == helplines_for("CA", None)


def test_a_shown_list_can_be_changed_without_touching_the_loaded_data():
    helplines_for("US", "adult")[0]["links"].clear()
    assert helplines_for("US", "adult")[0]["links"]


@pytest.mark.parametrize(
    "line",
    [
        {"name": "X", "contact": "c", "kind": "crisis", "audience": "kids"},
        {"name": "X", "contact": "c", "kind": "crisis", "call": "call me"},
        {"name": "X", "contact": "c", "kind": "crisis", "url": "javascript:alert(1)"},
    ],
)
def test_a_helplines_file_with_a_bad_line_is_refused(tmp_path, monkeypatch, line):
    path = tmp_path / "helplines.json"
    path.write_text(json.dumps({"US": [line]}), encoding="utf-8")
    monkeypatch.setenv("SAFETY_HELPLINES_FILE", str(path))
    _load.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured):
            helplines_for("US")
    finally:
        _load.cache_clear()
