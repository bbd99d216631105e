"""Bare Django Channels baseline: echo + room broadcast via the channel layer.

No database, auth, sessions or persistence: the cost of Channels itself.
"""
