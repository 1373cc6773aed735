"""`loaxa demo`: the whole system on one machine — the server on SQLite, a seeded commune,
approved bulletins in a session that starts within a minute, and two station agents
playing it."""
