"""A conversation that is not yours answers 404 everywhere, exactly like one that does not exist.

A 403 would tell a prober that the id exists (docs/protocol.md, "Access to a conversation").
"""

from __future__ import annotations

import pytest

from tests.chat.helpers import matched_pair
from tests.factories import ListenerFactory, SeekerFactory

pytestmark = pytest.mark.django_db

MISSING = 987654


def _calls(conversation_id: int):
    return [
        ("get", f"/api/v1/conversations/{conversation_id}", None),
        ("get", f"/api/v1/conversations/{conversation_id}/messages", None),
        ("post", f"/api/v1/conversations/{conversation_id}/rating", {"score": 5}),
        ("post", "/api/v1/reports", {"conversation": conversation_id, "reason": "harassment"}),
        ("post", "/api/v1/reports", {"conversation": conversation_id, "seq": 1, "reason": "harassment"}),
        ("post", "/api/v1/blocks", {"conversation": conversation_id}),
    ]


@pytest.mark.parametrize("outsider_factory", [SeekerFactory, ListenerFactory], ids=["seeker", "listener"])
def test_someone_elses_conversation_and_a_missing_one_get_the_same_answer(api_client, outsider_factory):
    _, _, conversation = matched_pair()
    outsider = outsider_factory()
    api_client.force_authenticate(outsider)
    for (method, path, body), (_, missing_path, missing_body) in zip(_calls(conversation.pk), _calls(MISSING)):
        theirs = getattr(api_client, method)(path, body, format="json")
        missing = getattr(api_client, method)(missing_path, missing_body, format="json")
        assert theirs.status_code == missing.status_code, (path, theirs.status_code, missing.status_code)
        assert theirs.status_code != 200 and theirs.status_code != 201, path
        assert theirs.json() == missing.json(), path
        if outsider_factory is SeekerFactory:
            assert theirs.status_code == 404, (path, theirs.json())
