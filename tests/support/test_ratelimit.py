"""Rate limits: counting, windows, and failing open when the cache is down."""

from __future__ import annotations

from support import ratelimit


def test_limit_counts_within_a_window_and_resets_after():
    for _ in range(3):
        assert ratelimit.hit("t", "u1", limit=3, window=10, now=1000.0).allowed
    refused = ratelimit.hit("t", "u1", limit=3, window=10, now=1001.0)
    assert not refused.allowed and refused.retry_after == 9
    assert ratelimit.hit("t", "u1", limit=3, window=10, now=1010.5).allowed


def test_identities_and_scopes_are_counted_separately():
    assert ratelimit.hit("t", "a", limit=1, window=10, now=5.0).allowed
    assert ratelimit.hit("t", "b", limit=1, window=10, now=5.0).allowed
    assert ratelimit.hit("other", "a", limit=1, window=10, now=5.0).allowed


def test_peek_sees_what_hit_counted_without_counting():
    for _ in range(2):
        ratelimit.hit("p", "u", limit=2, window=60, now=100.0)
    assert not ratelimit.peek("p", "u", limit=2, window=60, now=101.0).allowed
    assert ratelimit.peek("p", "u", limit=3, window=60, now=101.0).allowed
    assert ratelimit.hit("p", "u", limit=3, window=60, now=102.0).allowed  # the third, not a fourth
    assert not ratelimit.hit("p", "u", limit=3, window=60, now=103.0).allowed


class BrokenCache:
    """A cache whose server is unreachable."""

    def __getattr__(self, name):
        def broken(*args, **kwargs):
            raise ConnectionError("redis is down")

        return broken


def test_a_cache_outage_fails_open(monkeypatch):
    monkeypatch.setattr(ratelimit, "cache", BrokenCache())
    assert ratelimit.hit("t", "u", limit=1, window=10).allowed
    assert ratelimit.peek("t", "u", limit=1, window=10).allowed


def test_credential_guards_fail_closed_when_the_cache_is_down(monkeypatch):
    monkeypatch.setattr(ratelimit, "cache", BrokenCache())
    decision = ratelimit.hit("login-ip", "1.2.3.4", limit=5, window=300, fail_open=False)
    assert not decision.allowed and decision.retry_after > 0
