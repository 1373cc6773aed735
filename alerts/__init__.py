"""Emergency alerts: importing CAP 1.2 messages (issue 7)."""
