"""Display names cannot pass for the team or for another listener."""

from __future__ import annotations

import pytest

from listeners.services import validate_alias
from support.errors import DomainError
from tests.factories import ListenerFactory, SeekerFactory

pytestmark = pytest.mark.django_db


def _refused(alias: str) -> str:
    with pytest.raises(DomainError) as caught:
        validate_alias(alias)
    return caught.value.extra["fields"]["alias"][0]


@pytest.mark.parametrize(
    "alias", ["HearthStaff", "SafetyTeam", "Adm1n", "Saf3tyDesk", "TheModerator", "H3arthHelp", "Mod"]
)
def test_names_that_suggest_the_team_are_refused_however_spelled(alias):
    assert "reserved" in _refused(alias)


@pytest.mark.parametrize("alias", ["KindLanterns", "KlndLantern", "K1ndLantern", "KindLantem", "kindlantern2"])
def test_a_name_one_edit_from_a_listener_after_folding_look_alikes_is_refused(alias):
    ListenerFactory(alias="KindLantern")
    assert "too close" in _refused(alias)


def test_a_seekers_random_alias_does_not_block_a_similar_listener_name():
    SeekerFactory(alias="QuietHarbor42")
    assert validate_alias("QuietHarbor4") == "QuietHarbor4"


def test_an_ordinary_distinct_name_is_accepted():
    ListenerFactory(alias="KindLantern")
    assert validate_alias("SteadyOak") == "SteadyOak"
