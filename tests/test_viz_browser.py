"""End to end: ``solara run`` serves the pages, Debian's Chromium drives them through Playwright.

The platform page and the curation page are each served by their own server,
which runs in its own process group on a free loopback port, with the
command line ``platform-abm viz`` uses, and with Solara's CDN pointed at a
closed loopback port: an asset missing from the local ``solara-assets`` copy
then fails the page (and this test) instead of being fetched from the internet.
The server is stopped in the fixture's teardown, whatever the test's outcome.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import missing_resource

from platform_abm.viz.cli import solara_command

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SCENARIO = """
[scenario]
name = "browser-test"
seed = 5
rounds = 25

[population]
source = "gaussian"
n = 3000
d = 4
strategic_features = [0, 1]

[users]
epsilon = { distribution = "lognormal", median = 0.5, sigma = 0.5 }
levels = { 1 = 0.5, 2 = 0.5 }
"""
CURATION_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios/curation/disjoint.toml"
STARTUP_TIMEOUT = 120.0
LOCAL_SCHEMES = ("data", "blob")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"solara run exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(
        f"solara run did not answer on {url} in {STARTUP_TIMEOUT:.0f} s:\n{log.read_text()}"
    )


def stop(process: subprocess.Popen) -> None:
    """Stop the server's process group (SIGTERM, then SIGKILL)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        missing_resource(f"Debian's Chromium is not installed at {CHROMIUM} (make browser-deps)")
    return CHROMIUM


def serve(scenario: Path, folder: Path):
    """Serve the page of ``scenario`` on a free loopback port; yield its URL, then stop."""
    port = free_port()
    argv, env = solara_command(scenario, host="127.0.0.1", port=port)
    env["SOLARA_ASSETS_CDN"] = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    log = folder / "solara.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, process, log)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory):
    """The platform page served by ``solara run``; yields its URL."""
    folder = tmp_path_factory.mktemp("viz")
    scenario = folder / "browser.toml"
    scenario.write_text(SCENARIO)
    yield from serve(scenario, folder)


@pytest.fixture(scope="module")
def curation_server(chromium, tmp_path_factory):
    """The curation page of the disjoint-regime scenario served by ``solara run``."""
    yield from serve(CURATION_SCENARIO, tmp_path_factory.mktemp("viz-curation"))


@pytest.fixture
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


class Traffic:
    """Every request a page made, and the ones that failed."""

    def __init__(self, page) -> None:
        self.urls: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
        )

    def outside_loopback(self) -> list[str]:
        outside = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme not in LOCAL_SCHEMES and parts.hostname not in ("127.0.0.1", "::1"):
                outside.append(url)
        return outside


def time_shown(page) -> str:
    return page.get_by_text(re.compile(r"^Time: ")).inner_text()


def step_to(page, expected: float) -> None:
    """Press Step and wait until the time display shows ``expected``."""
    page.get_by_role("button", name="Step").click()
    page.get_by_text(f"Time: {expected:.1f}", exact=True).wait_for(timeout=30_000)


def plot(page, css: str) -> bytes:
    """The pixels of one plot as shown (a screenshot of its image element)."""
    image = page.locator(f"img.{css}")
    image.wait_for()
    return image.screenshot()


def wait_until_changed(page, css: str, old: bytes, timeout: float = 10.0) -> bytes:
    """The plot's new pixels, once they differ from ``old`` (the image arrives after the time)."""
    deadline = time.monotonic() + timeout
    new = plot(page, css)
    while new == old and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        new = plot(page, css)
    return new


def steps_change(page, css: str, rounds: tuple[int, ...]) -> None:
    """Step to each of ``rounds``: the time display advances and the plot ``css`` changes."""
    shown = plot(page, css)
    for round_ in rounds:
        step_to(page, round_)
        new = wait_until_changed(page, css, shown)
        assert new != shown, f"the plot {css} did not change at round {round_}"
        shown = new


def bad_seed_keeps_the_model(page) -> None:
    """Typing a seed that is not a number and pressing Reset shows a message, the time stays."""
    before = time_shown(page)
    seed = page.get_by_label("Seed")
    seed.fill("seven")
    seed.press("Enter")
    page.get_by_role("button", name="Reset").click()
    page.locator(".pabm-notice", has_text="seed").wait_for(timeout=10_000)
    assert time_shown(page) == before


def finish(page, screenshot: str, *traffics: Traffic) -> None:
    """Save a screenshot of the page; every request stayed on the loopback and succeeded."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    for traffic in traffics:
        assert traffic.urls, "no request recorded"
        assert traffic.failed == []
        assert traffic.outside_loopback() == []


def open_page(browser, url: str, first_plot: str = "pabm-theta"):
    """A new browser session on the page, once its Step button and ``first_plot`` are shown."""
    context = browser.new_context(viewport={"width": 1500, "height": 1250})
    page = context.new_page()
    traffic = Traffic(page)
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for(timeout=90_000)
    page.locator(f"img.{first_plot}").wait_for(timeout=30_000)
    return page, traffic


def test_page_in_chromium(server, browser):
    page, traffic = open_page(browser, server)
    assert time_shown(page) == "Time: 0.0"

    # Step three times: the time display advances and the drift plot changes each time.
    steps_change(page, "pabm-drift", (1, 2, 3))
    theta_before = plot(page, "pabm-theta")

    # A second browser session has its own model: it starts at time 0 and
    # stepping it leaves the first session alone.
    other, other_traffic = open_page(browser, server)
    assert time_shown(other) == "Time: 0.0"
    step_to(other, 1)
    assert time_shown(page) == "Time: 3.0"

    # Raise ε by six slider steps (0.5 → 0.8), Reset, replay three rounds:
    # the plotted θ differs from the θ plotted at round 3 before.
    epsilon = page.get_by_role("slider", name="ε (manipulation budget)")
    epsilon.focus()
    for _ in range(6):
        epsilon.press("ArrowRight")
    page.locator(".pabm-pending", has_text="ε 0.8").wait_for(timeout=10_000)
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("Time: 0.0", exact=True).wait_for(timeout=60_000)
    page.locator(".pabm-in-use", has_text="ε 0.8").wait_for(timeout=10_000)
    for round_ in (1, 2, 3):
        step_to(page, round_)
    theta_after = wait_until_changed(page, "pabm-theta", theta_before)
    assert theta_after != theta_before

    # A bad seed shows an inline message and keeps the model (time stays at 3).
    bad_seed_keeps_the_model(page)
    assert time_shown(page) == "Time: 3.0"
    finish(page, "viz-page.png", traffic, other_traffic)


def test_curation_page_in_chromium(curation_server, browser):
    page, traffic = open_page(browser, curation_server, "pabm-heatmap")
    assert time_shown(page) == "Time: 0.0"
    page.locator(".pabm-regime", has_text="public disjoint").wait_for(timeout=10_000)

    # Step twice: the time display advances and the heat map of p_t changes each time.
    steps_change(page, "pabm-heatmap", (1, 2))
    page.locator(".pabm-curation-round", has_text="round 2 of 100").wait_for(timeout=10_000)

    # A bad seed shows an inline message and keeps the model (time stays at 2).
    bad_seed_keeps_the_model(page)
    assert time_shown(page) == "Time: 2.0"
    finish(page, "viz-curation-page.png", traffic)
