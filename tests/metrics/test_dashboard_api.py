"""The dashboard's page, CSV and JSON API: who may read them, the filters, and small numbers hidden everywhere."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.factories import ListenerFactory, SeekerFactory, StaffFactory
from tests.metrics.history import WEEK, build_week, service_manager

pytestmark = pytest.mark.django_db

PAGE = "/manage/dashboard/"
API = "/api/v1/metrics"


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_row(body, figure, label):
    return next(r for r in body["figures"][figure]["rows"] if next(iter(r.values())) == label)


# --- access ------------------------------------------------------------------------
@pytest.mark.parametrize("path", [PAGE, f"{PAGE}waits.csv", API])
def test_anonymous_people_cannot_read_the_dashboard(path):
    assert client_for().get(path).status_code == 403


@pytest.mark.parametrize("make_user", [SeekerFactory, ListenerFactory])
@pytest.mark.parametrize("path", [PAGE, f"{PAGE}waits.csv", API])
def test_seekers_and_listeners_cannot_read_the_dashboard(make_user, path):
    assert client_for(make_user()).get(path).status_code == 403


@pytest.mark.parametrize("make_user", [service_manager, StaffFactory])
@pytest.mark.parametrize("path", [PAGE, f"{PAGE}waits.csv", API])
def test_service_managers_and_safety_staff_read_the_dashboard(make_user, path):
    assert client_for(make_user()).get(path).status_code == 200


def test_the_dashboard_link_is_in_the_navigation_only_for_those_who_may_read_it():
    assert b'href="/manage/dashboard/"' in client_for(service_manager()).get("/").content
    assert b'href="/manage/dashboard/"' not in client_for(ListenerFactory()).get("/").content
    assert b'href="/manage/dashboard/"' not in client_for().get("/").content


def test_the_anonymous_page_says_to_sign_in_first():
    response = client_for().get(PAGE)
    assert b"Please sign in on the Safety team page first" in response.content


# --- filters ------------------------------------------------------------------------
BAD_FILTERS = [
    ({"from": "2026-13-01"}, "invalid_date"),
    ({"to": "yesterday"}, "invalid_date"),
    ({"from": "20261101"}, "invalid_date"),
    ({"from": "2025-01-01", "to": "2026-01-02"}, "range_too_long"),
    ({"from": "2026-11-08", "to": "2026-11-02"}, "range_reversed"),
    ({"topic": "no-such-topic"}, "unknown_topic"),
    ({"to": "9999-12-31"}, "date_out_of_range"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "date_out_of_range"),
]


@pytest.mark.parametrize(("params", "code"), BAD_FILTERS)
def test_bad_filters_are_a_400_with_a_code_in_the_api(params, code):
    response = client_for(service_manager()).get(API, params)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["message"]


@pytest.mark.parametrize(("params", "code"), BAD_FILTERS)
def test_bad_filters_are_a_400_with_a_message_on_the_page_and_the_csv(params, code):
    client = client_for(service_manager())
    page = client.get(PAGE, params)
    assert page.status_code == 400
    assert b'id="filter-error"' in page.content
    assert b'id="figure-waits"' not in page.content
    csv_response = client.get(f"{PAGE}waits.csv", params)
    assert csv_response.status_code == 400
    assert csv_response.content.decode().startswith(code)


def test_a_range_of_exactly_366_days_is_allowed():
    response = client_for(service_manager()).get(API, {"from": "2025-01-01", "to": "2026-01-01"})
    assert response.status_code == 200
    assert len(response.json()["figures"]["chats"]["rows"]) == 366


def test_without_dates_the_range_is_the_last_28_days(settings):
    body = client_for(service_manager()).get(API).json()
    assert len(body["figures"]["chats"]["rows"]) == 28
    assert body["figures"]["chats"]["rows"][-1]["day"] == body["to"]


def test_an_unknown_figure_has_no_csv():
    assert client_for(service_manager()).get(f"{PAGE}nothing.csv").status_code == 404


# --- the same numbers in JSON, page and CSV ----------------------------------------------------
def test_the_api_gives_every_figure_with_small_numbers_hidden():
    build_week()
    body = client_for(service_manager()).get(API, WEEK).json()
    assert body["min_count"] == 5
    assert set(body["figures"]) == {"line", "waits", "chats", "staffing", "alerts", "reports"}
    assert api_row(body, "waits", "Mon 10:00") == {
        "hour": "Mon 10:00",
        "requests": 12,
        "matched": 7,
        "median_wait_s": 30,
        "p90_wait_s": 600,
        "abandoned": 5,
        "abandoned_pct": 41.7,
        "hidden": [],
    }
    tuesday = api_row(body, "waits", "Tue 09:00")
    assert tuesday["requests"] is None and tuesday["median_wait_s"] is None
    assert tuesday["hidden"] == ["requests", "matched", "median_wait_s", "p90_wait_s", "abandoned_pct"]
    assert api_row(body, "alerts", "2 (elevated)")["median_ack_s"] == 90
    assert api_row(body, "reports", "2026-11-02") == {
        "week": "2026-11-02",
        "reports": 5,
        "sanctions": None,
        "hidden": ["sanctions"],
    }


def test_the_api_carries_no_alias_or_text():
    build_week()
    content = client_for(service_manager()).get(API, WEEK).content.decode()
    assert "QuietSeeker" not in content and "KindListener" not in content and "SafetyStaff" not in content


def test_the_csv_hides_small_numbers_in_words():
    build_week()
    response = client_for(service_manager()).get(f"{PAGE}waits.csv", WEEK)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["hour", "requests", "matched", "median_wait_s", "p90_wait_s", "abandoned", "abandoned_pct"]
    assert ["Mon 10:00", "12", "7", "30", "600", "5", "41.7"] in rows
    assert ["Tue 09:00", "fewer than 5", "fewer than 5", "fewer than 5", "fewer than 5", "0", "fewer than 5"] in rows


def test_the_page_shows_charts_tables_and_hidden_cells():
    build_week()
    response = client_for(service_manager()).get(PAGE, WEEK)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<svg class="chart"') == 6
    assert html.count("<caption>") == 6
    assert '<th scope="row">Tue 09:00</th><td class="num">fewer than 5</td>' in html
    assert (
        '<th scope="row">Mon 10:00</th><td class="num">12</td><td class="num">7</td><td class="num">30 s</td><td class="num">10 min 00 s</td>'
        in html
    )
    assert "/manage/dashboard/waits.csv?from=2026-11-02&amp;to=2026-11-08" in html
    assert "style=" not in html and "<script>" not in html


def test_the_page_keeps_the_strict_content_security_policy():
    response = client_for(service_manager()).get(PAGE)
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_page_reads_the_database_in_a_bounded_number_of_queries(django_assert_max_num_queries):
    build_week()
    client = client_for(service_manager())
    with django_assert_max_num_queries(25):
        assert client.get(PAGE, WEEK).status_code == 200
