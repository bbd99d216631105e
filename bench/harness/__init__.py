"""Open-loop websocket load harness for Hearth and its framework baselines."""
