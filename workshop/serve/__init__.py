"""Serving: what `workshop serve` does between the command line and the app, built on uvicorn.

`options` reads the serve command's settings (from config.SETTINGS), `listen` binds the port and
finds the address phones use, `server` waits for the services, opens the app and runs uvicorn with
the socket and HTTP protocols of `transport` (which count connections in `connections`'s census),
`announce` prints the addresses, and `metrics` serves the metrics listener. The app itself (`web`)
knows nothing of this: it runs under any ASGI server.
"""
