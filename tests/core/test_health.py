from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import make_settings


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


def test_readyz_reports_an_unreachable_database(tmp_path: Path) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    app = create_app(make_settings("postgresql+psycopg://loaxa@127.0.0.1:1/loaxa", tmp_path))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/auth/login" in schema["paths"]
    assert client.get("/docs").status_code == 200
