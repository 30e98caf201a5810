"""Live sessions: the rooms a server is running, their connections, and what they send."""
