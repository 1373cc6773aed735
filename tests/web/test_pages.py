"""The pages without a browser: every page needs a signed-in user but the sign-in itself;
static files under long-cache names, gzip'd; pages gzip'd too."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api import WEB_ROUTERS
from tests.dependencies import depends_on
from web.session import require_user

PUBLIC_PAGES = {("GET", "/login"), ("POST", "/login"), ("POST", "/language")}
PUBLIC_PREFIXES = ("/static/",)


def _needs_user(route: APIRoute) -> bool:
    return depends_on(route, lambda call: call is require_user) is not None


def test_every_page_but_the_sign_in_needs_a_signed_in_user() -> None:
    for router in WEB_ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            pairs = {(m, route.path) for m in route.methods}
            if pairs <= PUBLIC_PAGES or route.path.startswith(PUBLIC_PREFIXES):
                continue
            assert _needs_user(route), f"{route.path} is open to anyone"


def test_static_files_are_cached_for_good_and_gzipped(client: TestClient) -> None:
    page = client.get("/login")
    css = re.search(r'href="(/static/app\.[0-9a-f]{10}\.css)"', page.text)
    assert css, page.text
    answer = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/app.0000000000.css").status_code == 404
    assert page.headers["content-encoding"] == "gzip"  # TestClient asks for it


def test_a_page_asked_for_signed_out_goes_to_the_sign_in(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/"


def test_the_sign_in_never_sends_elsewhere(client: TestClient) -> None:
    from web.session import safe_next

    assert safe_next("//evil.example/x") == "/" and safe_next("https://evil.example") == "/"
    assert safe_next("/content?q=1") == "/content?q=1"


def test_an_htmx_request_signed_out_loads_the_sign_in_whole(client: TestClient) -> None:
    answer = client.get(
        "/content",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/schedule/stations/4"},
        follow_redirects=False,
    )
    assert answer.status_code == 200
    assert answer.headers["hx-redirect"] == "/login?next=/schedule/stations/4"
