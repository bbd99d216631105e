from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_topics_are_seeded_and_listed_in_display_order(api_client):
    response = api_client.get("/api/v1/topics")
    assert response.status_code == 200
    slugs = [topic["slug"] for topic in response.json()]
    for required in [
        "anxiety",
        "depression",
        "stress",
        "loneliness",
        "relationships",
        "grief-and-loss",
        "caregiving",
        "family",
        "work-and-school",
        "lgbtq",
        "self-esteem",
        "sleep",
        "chronic-illness",
        "parenting",
    ]:
        assert required in slugs
    assert slugs[0] == "anxiety"


def test_inactive_topics_are_hidden(api_client):
    from support.models import Topic

    Topic.objects.filter(slug="sleep").update(is_active=False)
    slugs = [topic["slug"] for topic in api_client.get("/api/v1/topics").json()]
    assert "sleep" not in slugs


def test_unknown_api_route_is_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_me_requires_login(api_client):
    response = api_client.get("/api/v1/me")
    assert response.status_code == 403
    assert response.json()["error"] == "not_authenticated"


def test_openapi_schema_and_docs_page_are_served(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/session/anonymous" in schema.content
    assert api_client.get("/api/docs/").status_code == 200


def test_helplines_by_country_and_bad_country_code(api_client):
    uk = api_client.get("/api/v1/helplines?country=GB").json()["helplines"]
    assert any("116 123" in line["contact"] for line in uk)
    assert api_client.get("/api/v1/helplines?country=ZZZ").status_code == 400


def test_method_not_allowed_is_json(api_client):
    response = api_client.delete("/api/v1/topics")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_api_docs_page_loads_nothing_from_a_cdn(api_client):
    page = api_client.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    assert "/static/drf_spectacular_sidecar/" in page
