"""The playground page in real headless Chromium (Debian's, driven by Playwright): pick an
example, generate with a scripted OpenAI-compatible LLM on loopback (allow-listed), watch the
diagram appear with one node per object, download the XMI and let real EMF judge it, apply a
change request and see the diff. A failing step leaves a screenshot next to the test's files;
a passing run refreshes the README's screenshot (docs/playground.png)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import require
from fault_server import FaultServer, Reply, completion, fault_server, tool_call, tool_name
from http_support import (
    BANK_ECORE,
    BANK_REFERENCE,
    ServerThread,
    bank_metamodel,
    objects_arguments,
)

from instancegen.service.core.cim import parse_cim
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects
from instancegen.service.http import Settings, create_app

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "playground.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENAME = {"op": "set", "id": "bob", "feature": "name", "value": "Robert Weber"}


def _bank_llm(request: dict[str, Any]) -> Reply:
    """The scripted LLM: the bank reference model, phase by phase; then one rename edit."""
    mm, cim = bank_metamodel(), parse_cim(BANK_REFERENCE.read_bytes())
    name = tool_name(request)
    if name == "Objects":
        arguments = objects_arguments(mm, cim, request["tools"][0]["function"]["parameters"])
        return (200, {}, completion(tool_call(arguments)), 0.0)
    answer: Any
    if name == "Links":
        answer = plan_links(mm, declared_objects(mm, cim)).answer_of(cim)
    elif name == "Edits":
        answer = {"edits": [RENAME]}
    else:
        return (400, {}, json.dumps({"error": {"message": f"unexpected {name}"}}).encode(), 0.0)
    return (200, {}, completion(tool_call(json.dumps(answer))), 0.0)


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    with fault_server() as server:
        server.script = _bank_llm
        yield server


@pytest.fixture
def site(tmp_path: Path, llm: FaultServer) -> Iterator[str]:
    settings = Settings(
        db_path=tmp_path / "api.db",
        api_bases=(llm.base_url,),
        models=(f"openai/stub={llm.base_url}",),
    )
    with ServerThread(create_app(settings)) as server:
        yield server.url


def test_page_and_assets_are_served_by_the_package(site: str) -> None:
    page = httpx.get(site + "/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for testid in ("metamodel-file", "example", "spec", "model", "edit-request", "generate",
                   "edit", "status", "diagram", "issues", "download-xmi", "download-json",
                   "diff"):  # fmt: skip
        assert f'data-testid="{testid}"' in page.text
    assert "http://" not in page.text.replace('href="/docs"', "")  # nothing from elsewhere
    assert (
        httpx.get(site + "/playground/playground.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
    assert httpx.get(site + "/playground/nope.js").status_code == 404
    config = httpx.get(site + "/playground-api/config").json()
    assert [m["model"] for m in config["models"]] == ["local", "openai/stub"]
    assert "bank" in config["examples"]
    example = httpx.get(site + "/playground-api/examples/bank").json()
    assert "bank.ecore" in example["files"] and example["spec"]
    assert httpx.get(site + "/playground-api/examples/../etc").status_code == 404


def test_generate_download_and_edit_in_chromium(
    site: str, llm: FaultServer, emf: Any, tmp_path: Path
) -> None:
    require(
        CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None,
        "headless Chromium with Playwright",
        "apt-get install chromium; pip install playwright (never `playwright install`)",
    )
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400}, accept_downloads=True)
        step = "load"
        try:
            page.goto(site + "/")
            expect(page.get_by_test_id("example")).to_contain_text("bank")
            step = "upload a metamodel"
            page.get_by_test_id("metamodel-file").set_input_files(str(BANK_ECORE))
            expect(page.locator("#metamodel-source")).to_contain_text("uploaded bank.ecore")
            step = "pick an example"
            page.get_by_test_id("example").select_option("bank")
            expect(page.get_by_test_id("spec")).not_to_have_value("")
            page.get_by_test_id("model").select_option(label="openai/stub")
            step = "generate"
            page.get_by_test_id("generate").click()
            page.wait_for_selector("[data-testid=diagram] svg g.node", timeout=60_000)
            expect(page.get_by_test_id("status")).to_contain_text("valid")
            nodes = page.locator("[data-testid=diagram] svg g.node")
            assert nodes.count() == len(parse_cim(BANK_REFERENCE.read_bytes()).objects)
            # no errors; the spec's placeholder IBANs are kept, each with a realism warning
            expect(page.get_by_test_id("issues")).not_to_contain_text("error")
            expect(page.get_by_test_id("issues")).to_contain_text("The spec states this value")
            step = "download the XMI"
            with page.expect_download() as info:
                page.get_by_test_id("download-xmi").click()
            xmi = tmp_path / "downloaded.xmi"
            info.value.save_as(xmi)
            assert emf([BANK_ECORE], [xmi])[0].errors == []
            with page.expect_download() as info:
                page.get_by_test_id("download-json").click()
            assert json.loads(Path(info.value.path()).read_text())["eClass"].endswith("//Bank")
            step = "edit"
            page.get_by_test_id("edit-request").fill("Rename Bob Weber to Robert Weber")
            page.get_by_test_id("edit").click()
            expect(page.get_by_test_id("diff")).to_contain_text("~ bob (Person)", timeout=60_000)
            expect(page.get_by_test_id("diff")).to_contain_text('"Bob Weber" -> "Robert Weber"')
            expect(page.get_by_test_id("diagram")).to_contain_text("Robert Weber")
            step = "keyboard"
            page.get_by_test_id("edit-request").focus()
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.dataset.testid") == "edit"
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(tmp_path / "playground.png"), full_page=True)
            shutil.copyfile(tmp_path / "playground.png", SCREENSHOT)
        except Exception:
            shot = tmp_path / f"failed-{step.replace(' ', '-')}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"playground step {step!r} failed; screenshot: {shot}")
            raise
        finally:
            browser.close()
    edit_requests = [r for r in llm.requests if tool_name(r) == "Edits"]
    assert len(edit_requests) == 1


def test_config_says_when_the_api_needs_a_key(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "api.db", api_keys=("k1",))
    with ServerThread(create_app(settings)) as server:
        config = httpx.get(server.url + "/playground-api/config")
        assert config.status_code == 200 and config.json()["auth"] is True
        assert httpx.get(server.url + "/").status_code == 200
        body = {"metamodel": {"ecore": BANK_ECORE.read_text()}, "spec": "x"}
        assert httpx.post(server.url + "/v1/jobs", json=body).status_code == 401
