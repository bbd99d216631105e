"""Delivery ledger: counts lost, duplicated, out-of-order and unexpected messages.

Pure bookkeeping, no I/O. A message is identified by (sender, seq); every
sender numbers its messages 0, 1, 2, ... in the order it sends them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OK, LAST, DUPLICATE, UNEXPECTED = "ok", "last", "duplicate", "unexpected"


@dataclass
class Tally:
    sent: int = 0
    expected: int = 0  # deliveries expected (message x recipient)
    delivered: int = 0  # first deliveries of an expected (message, recipient)
    duplicated: int = 0
    out_of_order: int = 0  # first deliveries older than one already seen from that sender
    unexpected: int = 0  # frames for a message never announced, or to a non-recipient

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.duplicated or self.unexpected)

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "expected": self.expected,
            "delivered": self.delivered,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "out_of_order": self.out_of_order,
            "unexpected": self.unexpected,
        }


class Ledger:
    """Call expect() before sending, deliver() on every received chat frame."""

    def __init__(self) -> None:
        self._pending: dict[tuple[int, int], set[int]] = {}
        self._recipients: dict[tuple[int, int], frozenset[int]] = {}
        self._newest: dict[tuple[int, int], int] = {}  # (receiver, sender) -> max seq seen
        self.tally = Tally()

    def expect(self, sender: int, seq: int, recipients: Iterable[int]) -> None:
        key = (sender, seq)
        members = frozenset(recipients)
        self._recipients[key] = members
        self._pending[key] = set(members)
        self.tally.sent += 1
        self.tally.expected += len(members)

    def deliver(self, receiver: int, sender: int, seq: int) -> str:
        """Returns OK, LAST (this was the message's last pending recipient),
        DUPLICATE or UNEXPECTED."""
        key = (sender, seq)
        if key not in self._recipients or receiver not in self._recipients[key]:
            self.tally.unexpected += 1
            return UNEXPECTED
        pending = self._pending[key]
        if receiver not in pending:
            self.tally.duplicated += 1
            return DUPLICATE
        pending.discard(receiver)
        self.tally.delivered += 1
        stream = (receiver, sender)
        newest = self._newest.get(stream, -1)
        if seq < newest:
            self.tally.out_of_order += 1
        else:
            self._newest[stream] = seq
        return LAST if not pending else OK

    def outstanding(self) -> int:
        return self.tally.lost
