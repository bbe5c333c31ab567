"""Headless Chromium (Debian's) for the status page's tests, through playwright."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
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
HOW_TO_INSTALL = (
    "the status page test needs Debian's Chromium at /usr/bin/chromium: "
    "`apt-get install -y chromium chromium-driver` (`make test` and .ci/run "
    "install it when they run as root)"
)
WAIT_MS = 120_000


@pytest.fixture
def browser_page() -> Iterator[tuple[Page, list[str]]]:
    """A fresh headless Chromium page and the errors its console reports."""
    if not CHROMIUM.exists():
        pytest.fail(HOW_TO_INSTALL, pytrace=False)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page()

            def console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    errors.append(f"console: {message.text} at {message.location}")

            page.on("console", console)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            yield page, errors
        finally:
            browser.close()


def off_loop(call: Callable[[], Any]) -> Any:
    """``call()`` in a thread of its own: playwright's sync API keeps an event
    loop running in this one, and the Kafka helpers start their own."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def cell(page: Page, flow: str, field: str) -> Any:
    """One flow's cell in the page's table of flows."""
    return page.locator(f'#flows tr[data-flow="{flow}"] td[data-field="{field}"]')
