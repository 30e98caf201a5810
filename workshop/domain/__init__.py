"""The workshop's domain: plans, the session state machine and consensus figures.

Nothing here knows about HTTP, sockets or the database.
"""
