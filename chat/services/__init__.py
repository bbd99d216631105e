"""Every write in chat goes through these functions (see each module)."""
