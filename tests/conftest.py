import pytest
from starlette.testclient import TestClient

from workshop.config import Settings
from workshop.domain.plans import default_plans_dir
from workshop.web.app import create_app

from helpers import AUTH, KEY


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


def pytest_addoption(parser):
    parser.addoption("--update-screenshots", action="store_true", default=False,
                     help="write the browser tests' screenshots to docs/screenshots (else to a temporary folder)")
