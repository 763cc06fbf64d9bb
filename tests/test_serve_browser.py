"""`bptui serve` in a real headless Chromium, driven over the DevTools protocol: the page loads,
keys work without a first click, the footer shows the keys, a click on a panel value explains it,
closing the tab ends the app at once, and a browser that stops (SIGSTOP) loses it within 30 s."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from bptui.serve import SILENCE_LIMIT
from bptui.tui.sheet import HEADER_LINES, LayerSheet

from .serve_helpers import AT_ONCE, STARTS, Served, wait_until
from .tui_helpers import app_for

aiohttp = pytest.importorskip("aiohttp")
from .cdp import Browser, find_chromium  # noqa: E402  (needs aiohttp)

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the app processes"),
]


async def where_is_w_bias(cols: int, rows: int) -> tuple[int, int, str]:
    """The screen cell of w₁,₀⁽¹⁾ at this terminal size, and a line its explanation shows: found
    with a pilot, which lays the screen out as the served app does."""
    app = app_for("xor")
    async with app.run_test(size=(cols, rows)) as pilot:
        sheet = app.query_one("#layer-1", LayerSheet)
        region = sheet.content_region
        x, y = region.x + sheet._column_x(0) + sheet.cw // 2, region.y + HEADER_LINES + 1
        await pilot.click(offset=(x, y))
        await pilot.pause()
        assert app.main.cell == ("W", 1, 0, 0)
        explanation = app.query_one("#explain").text.splitlines()[0]
    return x, y, explanation.strip()[:20]


async def the_app_in_chromium() -> None:
    server = Served()
    try:
        async with Browser(CHROMIUM) as browser:
            page = await browser.new_page(server.url)
            await page.wait_for("document.body.classList.contains('-first-byte')")
            await page.wait_for("(window.__ws.text.match(/Next/g) || []).length > 0")  # the footer's keys
            assert await page.evaluate("document.activeElement.className") == "xterm-helper-textarea"
            assert len(server.apps()) == 1

            # keys without a first click
            await page.press("n")
            await page.wait_for("window.__ws.text.includes('step 1 of 38')")

            # a click on a value: the side panel explains it, and the session lives on
            url = await page.evaluate("window.__ws.url")
            cols, rows = (int(v) for v in url.split("width=")[1].split("&height="))
            x, y, explanation = await where_is_w_bias(cols, rows)
            rect = await page.evaluate(
                "(() => {const r = document.querySelector('.xterm-screen').getBoundingClientRect();"
                " return [r.x, r.y, r.width, r.height];})()")
            cw, ch = rect[2] / cols, rect[3] / rows
            before = len(await page.received())
            await page.click(rect[0] + (x + 0.5) * cw, rect[1] + (y + 0.5) * ch)
            deadline = time.monotonic() + STARTS
            while explanation not in (await page.received())[before:] and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert explanation in (await page.received())[before:], explanation
            assert not await page.evaluate("document.body.classList.contains('-closed')")
            assert len(server.apps()) == 1

            # closing the tab ends the app at once
            await page.close()
            assert await asyncio.to_thread(wait_until, lambda: not server.apps(), AT_ONCE) is not None
            assert server.wait_for_line("session ended", STARTS) and server.ended() == ["the browser closed it"]
    finally:
        server.stop()


async def a_browser_that_stops_loses_its_app_within_30_s() -> None:
    server = Served()
    try:
        async with Browser(CHROMIUM) as browser:
            page = await browser.new_page(server.url)
            await page.wait_for("document.body.classList.contains('-first-byte')")
            assert len(server.apps()) == 1
            browser.freeze()  # no close frame, no answer to pings
            # the promise is a time, so this bound is one: the server's own timer ends the app
            # SILENCE_LIMIT + QUIT_GRACE after the browser's last answer, which was before the freeze
            assert await asyncio.to_thread(wait_until, lambda: not server.apps(), 30) is not None
            assert server.wait_for_line("session ended", STARTS)
            assert server.ended() == [f"no word from the browser for {SILENCE_LIMIT:g} s"]
    finally:
        server.stop()


async def a_full_server_says_so_in_the_page() -> None:
    server = Served("--max-sessions", "1")
    try:
        async with Browser(CHROMIUM) as browser:
            first = await browser.new_page(server.url)
            await first.wait_for("document.body.classList.contains('-first-byte')")
            second = await browser.new_page(server.url)  # the page itself says it is full
            text = await second.wait_for("document.body && document.body.innerText.includes('at most 1 sessions')"
                                         " && document.body.innerText")
            assert "Full" in text
    finally:
        server.stop()


async def test_the_app_in_chromium_a_full_server_and_a_stopped_browser():
    """The three at once, each with its own server and browser: the stopped browser's wait for the
    server's timer (SILENCE_LIMIT + QUIT_GRACE after its last word) is most of the time they take, and
    the others need none of it."""
    results = await asyncio.gather(a_browser_that_stops_loses_its_app_within_30_s(), the_app_in_chromium(),
                                   a_full_server_says_so_in_the_page(),
                                   return_exceptions=True)  # each ends its server and browser before the test ends
    for result in results:
        if isinstance(result, BaseException):
            raise result
