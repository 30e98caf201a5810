"""Helpers the tests share: the facilitator key, commands over the API, and socket conversations."""

KEY = "test-facilitator-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def command(client, code, **body):
    response = client.post(f"/api/sessions/{code}/commands", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def join(socket, **fields):
    socket.send_json({"type": "join", **fields})
    welcome = socket.receive_json()
    assert welcome["type"] == "welcome", welcome
    return welcome


def receive_until(socket, kind, limit=20):
    """Skip broadcasts until a message of `kind` arrives."""
    for _ in range(limit):
        message = socket.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message in {limit} messages")


def sign_in(client, path="/"):
    """Sign a test client in as a browser does from the printed address: the page's token, then /login."""
    page = client.get(f"{path}?key={KEY}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store", page.text
    token = page.text.split('name="token" value="')[1].split('"')[0]
    response = client.post("/login", json={"token": token}, headers={"Origin": "http://testserver"})
    assert response.status_code == 200, response.text
    return response


# In a printed page: the elements whose content is wider than their box (SVG charts scale instead).
OVERFLOWING = """() => Array.from(document.querySelectorAll('body *'))
  .filter(el => !(el instanceof SVGElement) && getComputedStyle(el).display !== 'inline')
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => el.tagName + ': ' + el.textContent.trim().slice(0, 60))"""
