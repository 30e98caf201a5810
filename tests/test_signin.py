"""The one-time sign-in token, kept in the record: any process on it redeems a token another issued,
once only, and only within its minute."""

import asyncio
import re
import threading
import time

import httpx2 as httpx

from servers import Server
from workshop.store import open_store
from workshop.web.signin import TOKEN_LIFETIME, SignInTokens


def test_a_token_is_redeemed_once_and_not_after_its_minute(store):
    tokens = SignInTokens(store)

    async def run() -> None:
        token = await tokens.issue()
        assert await tokens.redeem(token) is True
        assert await tokens.redeem(token) is False  # once only
        assert await tokens.redeem("never-issued") is False
        assert await tokens.redeem(None) is False and await tokens.redeem("x" * 1000) is False

    asyncio.run(run())
    # A token kept with an expiry already past is refused, and gone afterwards.
    now = time.time()
    store.keep_signin("stale", now - 1, now - TOKEN_LIFETIME).result()
    assert store.redeem_signin("stale", now).result() is False
    store.keep_signin("fresh", now + TOKEN_LIFETIME, now).result()
    assert store.redeem_signin("fresh", now + TOKEN_LIFETIME + 1).result() is False  # redeemed too late


def test_a_token_never_issued_is_refused_without_a_write(store):
    tokens = SignInTokens(store)
    store.set_setting("warm", "up").result()
    before = store.writer.batches
    assert [asyncio.run(tokens.redeem(f"guess-{number}")) for number in range(20)] == [False] * 20
    assert store.writer.batches == before


def test_only_a_hash_of_the_token_is_kept(store):
    token = asyncio.run(SignInTokens(store).issue())
    rows = store._rows("select token_hash from signin_tokens")
    assert len(rows) == 1 and token not in rows[0]["token_hash"]


def test_two_processes_redeeming_one_token_at_once_accept_it_once(postgres_url):
    first, second = open_store(postgres_url), open_store(postgres_url)
    for store in (first, second):
        store.start()
    try:
        for attempt in range(20):
            now = time.time()
            first.keep_signin(f"token-{attempt}", now + 60, now).result()
            outcomes: list[bool] = []
            barrier = threading.Barrier(2)

            def redeem(store, attempt=attempt, outcomes=outcomes, barrier=barrier) -> None:
                barrier.wait()
                outcomes.append(store.redeem_signin(f"token-{attempt}", time.time()).result())

            threads = [threading.Thread(target=redeem, args=(store,)) for store in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == [False, True]
    finally:
        first.close()
        second.close()


def _token(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def _login(base: str, token: str) -> httpx.Response:
    return httpx.post(f"{base}/login", json={"token": token}, headers={"Origin": base}, timeout=10)


def test_a_token_issued_by_one_process_is_redeemed_at_another_once(tmp_path, postgres_url):
    servers = []
    try:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            servers.append(Server(tmp_path / name, "--db", postgres_url))
        one, two = servers
        token = _token(httpx.get(f"{one.base}/?key={one.key}", timeout=10))
        signed_in = _login(two.base, token)
        assert signed_in.status_code == 200, signed_in.text
        # the cookie is named after the record both processes share, so either one honours it
        (name,) = [name for name in signed_in.cookies if name.startswith("workshop_facilitator_")]
        cookie = signed_in.cookies[name]
        assert httpx.get(f"{one.base}/", cookies={name: cookie}, timeout=10).status_code == 200
        again = [_login(server.base, token) for server in (one, two)]
        assert [response.status_code for response in again] == [403, 403]
        assert again[0].json()["error"] == "forbidden"
    finally:
        for server in servers:
            server.stop()
