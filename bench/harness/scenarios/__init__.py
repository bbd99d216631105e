"""Scenarios: each is ``async def run(ctx) -> list[dict]`` returning result rows."""

from bench.harness.scenarios import fanout, idle, matching, reconnect, relay

SCENARIOS = {
    "relay": relay.run,
    "fanout": fanout.run,
    "idle": idle.run,
    "matching": matching.run,
    "reconnect": reconnect.run,
}
