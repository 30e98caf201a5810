import itertools
import os

import pytest
from known_session import exported_session
from starlette.testclient import TestClient

from helpers import AUTH, KEY
from workshop.config import Settings
from workshop.domain.plans import default_plans_dir
from workshop.web.app import create_app


@pytest.fixture
def server(tmp_path):
    """A real `workshop serve` on a free loopback port, stopped after the test."""
    from servers import Server

    running = Server(tmp_path)
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture
def settings(tmp_path):
    return Settings(db_path=tmp_path / "workshop.db", plan_dirs=(default_plans_dir(),), key=KEY)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def session_code(client):
    response = client.post("/api/sessions", json={"title": "Service desk SLA", "service": "Service desk"},
                           headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()["code"]


# Database services, started once per test run when a test asks for them.

@pytest.fixture(scope="session")
def postgres_server():
    from services import FAST_UNSAFE, Postgres, postgres_available
    if not postgres_available():
        pytest.skip("PostgreSQL 15 is not installed here (.ci/run installs it)")
    server = Postgres(*FAST_UNSAFE)
    yield server
    server.remove()


@pytest.fixture(scope="session")
def redis_server():
    from services import Redis, redis_available
    if not redis_available():
        pytest.skip("redis-server is not installed here (.ci/run installs it)")
    server = Redis()
    yield server
    server.remove()


_databases = itertools.count()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database for one test."""
    return postgres_server.create_database(f"test_{os.getpid()}_{next(_databases)}")


@pytest.fixture
def store(store_target):
    """A started store on each backend in turn."""
    from workshop.store import open_store

    store = open_store(store_target)
    store.start()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request, tmp_path):
    """Where a store keeps its record, once for each backend."""
    if request.param == "sqlite":
        return tmp_path / "record.db"
    return request.getfixturevalue("postgres_url")


def pytest_addoption(parser):
    parser.addoption("--update-screenshots", action="store_true", default=False,
                     help="write the browser tests' screenshots to docs/screenshots (else to a temporary folder)")


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    """The export tests' session (see known_session.py), built once per test module."""
    yield from exported_session(tmp_path_factory)
