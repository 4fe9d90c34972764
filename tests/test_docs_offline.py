"""`/docs` (Swagger UI) and `/redoc` work offline: their scripts and styles come from the
installed `fastapi-offline` package, never from a CDN. Checked in real headless Chromium
(Debian's, driven by Playwright) with every request that is not to the server on loopback
aborted: the pages render the API, `/v1/generate` among its operations. Swagger UI asks for
nothing else; ReDoc's bundle asks for one picture only (Redocly's logo in its footer)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import require
from http_support import ServerThread

from instancegen.service.http import Settings, create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(db_path=tmp_path_factory.mktemp("docs") / "api.db")
    with ServerThread(create_app(settings)) as server:
        yield server.url


def test_the_pages_name_only_assets_the_server_serves(site: str) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(site + page).text
        assert "cdn." not in html and "https://" not in html, page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = httpx.get(f"{site}/docs-assets/{asset}")
        assert response.status_code == 200 and len(response.content) > 100_000, asset


def test_docs_and_redoc_render_in_chromium_with_the_network_blocked(site: str) -> None:
    require(
        CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None,
        "headless Chromium with Playwright",
        "apt-get install chromium; pip install playwright (never `playwright install`)",
    )
    from playwright.sync_api import Route, expect, sync_playwright

    blocked: list[tuple[str, str, str]] = []  # page, resource type, URL

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append((page.url, route.request.resource_type, route.request.url))
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            page.goto(site + "/docs")
            operation = page.locator('.opblock[id$="v1_generate_post"]')
            expect(operation).to_be_visible(timeout=30_000)
            expect(operation.locator(".opblock-summary-path")).to_have_text("/v1/generate")
            page.goto(site + "/redoc")
            expect(page.get_by_text("/v1/generate", exact=True).first).to_be_attached(
                timeout=30_000
            )
        finally:
            browser.close()
    assert not [b for b in blocked if b[0].endswith("/docs")], blocked
    assert all(kind == "image" for _, kind, _ in blocked), blocked
