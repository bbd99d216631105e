"""Friendly, non-identifying aliases such as ``QuietHarbor42``.

Drawn from a cryptographic random source and word lists only; nothing about
the person (IP, time, age) goes in.
"""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "Quiet", "Gentle", "Brave", "Calm", "Kind", "Warm", "Steady", "Bright", "Soft", "Hopeful",
    "Patient", "Still", "Golden", "Silver", "Amber", "Misty", "Sunny", "Cozy", "Clear", "Tender",
    "Mellow", "Velvet", "Evening", "Morning", "Northern", "Southern", "Open", "Wandering", "Humble", "Lucky",
    "Peaceful", "Rosy", "Serene", "Willow", "Maple", "Cedar", "Ember", "Lunar", "Starry", "Breezy",
)
NOUNS = (
    "Harbor", "River", "Meadow", "Lantern", "Willow", "Sparrow", "Pebble", "Cloud", "Garden", "Orchard",
    "Brook", "Candle", "Compass", "Feather", "Harvest", "Island", "Juniper", "Kestrel", "Lighthouse", "Moss",
    "Nest", "Otter", "Pine", "Quill", "Robin", "Shore", "Tide", "Valley", "Wren", "Heron",
    "Fern", "Hearth", "Bridge", "Comet", "Dune", "Forest", "Glade", "Haven", "Lark", "Maple",
)


def generate_alias() -> str:
    return f"{secrets.choice(ADJECTIVES)}{secrets.choice(NOUNS)}{secrets.randbelow(90) + 10}"
