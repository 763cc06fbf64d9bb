"""`bptui serve` for a class: the token, the origin check, the caps, no app outliving its session
or its server (a closed tab at once, a frozen browser within 30 s, a slow one never before 10 s
of silence), saving confined. Driven with aiohttp's websocket client (the browser test is in
test_serve_browser.py). Waits are for events, with generous bounds (tests/serve_helpers.py)."""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import pytest

from bptui.serve import PING_EVERY, QUIT_GRACE, SILENCE_LIMIT, clamp, is_loopback, is_wildcard, normalize_origin
from bptui.tui import saving

from .serve_helpers import AT_ONCE, STARTS, Served, environment_of, wait_until

aiohttp = pytest.importorskip("aiohttp")
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the app processes")


@pytest.fixture
def served():
    server = Served()
    yield server
    server.stop()


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def handshake(server: Served, origin: str | None, token: str | None = None, query: str = "") -> int:
    """The HTTP status of a websocket handshake (101: accepted; the socket is closed at once)."""
    headers = {"Origin": origin} if origin is not None else {}
    url = f"{server.base}/ws/{token or server.token}{query}"
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as err:
            return err.status


async def first_frame(ws) -> bytes:
    """Read until the app has drawn something."""
    data = b""
    while len(data) < 2000:
        message = await asyncio.wait_for(ws.receive(), STARTS)
        if message.type == aiohttp.WSMsgType.BINARY:
            data += message.data
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            break
    return data


async def until_pinged(ws, answer: bool = True, needle: str | None = None) -> str:
    """Read the app's output (decoded) until the server's next ping, answering it or not (a client
    made with ``autoping=False`` answers only here), or, given a ``needle``, until it shows."""
    seen = ""
    while needle is None or needle not in seen:
        message = await asyncio.wait_for(ws.receive(), STARTS)
        if message.type == aiohttp.WSMsgType.PING:
            if answer:
                await ws.pong(message.data)
            if needle is None:
                break
            continue
        assert message.type == aiohttp.WSMsgType.BINARY, message
        seen += message.data.decode("utf-8", "replace")
    return seen


def test_the_pure_helpers():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.5")
    assert is_wildcard("0.0.0.0") and is_wildcard("::") and is_wildcard("0") and is_wildcard("")
    assert normalize_origin("HTTPS://Class.Example.org:443/") == "https://class.example.org"
    assert clamp("3000", 10, 400, 80) == 400 and clamp("1.0", 10, 400, 80) == 10
    assert clamp("nan", 10, 400, 80) == 80 and clamp(None, 5, 150, 24) == 24 and clamp("1e999", 5, 150, 24) == 24


async def test_page_needs_the_token(served):
    status, text = await fetch(served.base + "/")
    assert status == 403 and "token" in text
    status, _ = await fetch(served.base + "/?token=wrong")
    assert status == 403
    status, text = await fetch(served.url)
    assert status == 200 and f"ws/{served.token}" in text and "googleapis" not in text


async def test_websocket_needs_the_token_and_the_pages_origin(served):
    own = served.base
    assert await handshake(served, own, token="not-the-token") == 403
    assert await handshake(served, "http://evil.example") == 403
    assert await handshake(served, "null") == 403
    assert await handshake(served, None) == 403  # browsers always send an Origin
    assert await handshake(served, f"http://localhost:{served.port}") == 403  # not the Host it used
    assert await handshake(served, own) == 101


async def test_allow_origin_for_a_reverse_proxy():
    server = Served("--allow-origin", "https://class.example.org")
    try:
        assert await handshake(server, "https://class.example.org") == 101
        assert await handshake(server, "https://other.example.org") == 403
    finally:
        server.stop()


async def test_max_sessions_and_a_clear_page_when_full():
    server = Served("--max-sessions", "1")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(server.ws, headers={"Origin": server.base}) as ws:
                await first_frame(ws)
                status, text = await fetch(server.url)
                assert status == 503 and "at most 1 sessions" in text
                assert await handshake(server, server.base) == 503
            assert wait_until(lambda: not server.apps(), AT_ONCE) is not None
        status, _ = await fetch(server.url)
        assert status == 200  # room again
    finally:
        server.stop()


@linux
async def test_terminal_size_is_capped(served):
    async with aiohttp.ClientSession() as session:
        url = served.ws + "?width=3000&height=3000"
        async with session.ws_connect(url, headers={"Origin": served.base}) as ws:
            await first_frame(ws)
            (pid,) = served.apps()
            env = environment_of(pid)
            assert (env["COLUMNS"], env["ROWS"]) == ("400", "150")
            assert env["BPTUI_SAVE_DIR"] == ""  # saving is off unless --save-dir
            await ws.send_json(["resize", {"width": 1e9, "height": "x"}])  # ignored or capped, no crash
            await ws.send_json(["stdin", 42])
            await ws.send_str("not json")
            await ws.send_json(["ping", "1"])
            while True:
                message = await asyncio.wait_for(ws.receive(), STARTS)
                if message.type == aiohttp.WSMsgType.TEXT:
                    assert message.json() == ["pong", "1"]
                    break


@linux
async def test_a_closed_tab_ends_its_app_at_once(served):
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(served.ws, headers={"Origin": served.base}) as ws:
            assert b"bptui" in await first_frame(ws) or served.apps()
            assert len(served.apps()) == 1
    assert wait_until(lambda: not served.apps(), AT_ONCE) is not None
    assert served.wait_for_line("session ended", STARTS) and served.ended() == ["the browser closed it"]


def test_the_heartbeat_keeps_its_promises():
    """The arithmetic of the promises: a browser that answers is never silent for more than
    PING_EVERY plus its delay, so a delay up to SILENCE_LIMIT - PING_EVERY keeps its app (at least
    the 10 s a slow network may need); a frozen one's app ends SILENCE_LIMIT + QUIT_GRACE after its
    last word at the latest (within 30 s). The next test checks both on a real server."""
    assert SILENCE_LIMIT - PING_EVERY >= 10 and SILENCE_LIMIT + QUIT_GRACE <= 30


async def a_slow_browser_keeps_its_app_and_a_frozen_one_loses_it(served: Served) -> None:
    """Two tabs: one answers a ping, then leaves the next unanswered for 10 s (so the server hears
    nothing from it for about PING_EVERY + 10 s) and afterwards steps the app as if nothing
    happened; the other never answers and its app ends within 30 s of its connecting, logged as
    silence. Both at once, so the test takes the frozen one's 20 s, not twice that."""
    async with aiohttp.ClientSession() as session:

        async def frozen() -> None:
            ws = await session.ws_connect(served.ws, headers={"Origin": served.base}, autoping=False)
            froze = time.monotonic()  # the handshake is the last it says
            await first_frame(ws)
            (pid,) = served.apps()
            started.set()
            # the promise is a time, so this bound is one: the server's own timer, which a loaded
            # machine delays by its scheduling only, ends the app after SILENCE_LIMIT + QUIT_GRACE
            gone = await asyncio.to_thread(wait_until, lambda: pid not in served.apps(),
                                           30 - (time.monotonic() - froze))
            assert gone is not None, "a frozen browser's app still runs 30 s after it froze"
            await ws.close()

        async def slow() -> None:
            await started.wait()  # one app at a time: the other's pid is known
            ws = await session.ws_connect(served.ws, headers={"Origin": served.base}, autoping=False)
            await until_pinged(ws)  # answered
            await until_pinged(ws, answer=False)  # the next one is not, for 10 s
            (pid,) = set(served.apps()) - set(pids_before)
            # a bound load can stretch, so a generous one: silent for about PING_EVERY + 10 = 15 s, 5 s
            # inside SILENCE_LIMIT (this coroutine would have to be kept off the CPU 5 s to fail it)
            await asyncio.sleep(10)
            await ws.send_json(["stdin", "n"])
            await until_pinged(ws, needle="step 1 of 38")  # the late answers, and the app answers n
            assert pid in served.apps()
            await ws.close()

        started = asyncio.Event()
        pids_before: list[int] = []
        first = asyncio.create_task(frozen())
        await started.wait()
        pids_before.extend(served.apps())
        await asyncio.gather(first, slow())
    assert wait_until(lambda: len(served.ended()) == 2, STARTS) is not None
    assert sorted(served.ended()) == [f"no word from the browser for {SILENCE_LIMIT:g} s", "the browser closed it"]


async def every_app_ends_when_the_server_stops(sig: signal.Signals) -> None:
    server = await asyncio.to_thread(Served)  # in a thread: the tabs that run meanwhile answer on time
    try:
        async with aiohttp.ClientSession() as session:
            sockets = [await session.ws_connect(server.ws, headers={"Origin": server.base}) for _ in range(2)]
            for ws in sockets:
                await first_frame(ws)
            pids = server.apps()
            assert len(pids) == 2
            server.proc.send_signal(sig)
            # at once, though its browsers (these sockets, unread) say nothing: it closes their sockets
            await asyncio.to_thread(server.proc.wait, AT_ONCE)
            gone = await asyncio.to_thread(wait_until, lambda: not server.apps(), AT_ONCE)
            assert gone is not None, f"apps left after {sig.name}: {server.apps()}"
            server.reader.join(STARTS)
            assert server.ended() == ([] if sig == signal.SIGKILL else ["the server stops"] * 2), sig.name
            for ws in sockets:
                await ws.close()
    finally:
        server.stop(signal.SIGKILL)


@linux
async def test_slow_and_frozen_tabs_while_other_servers_stop_by_each_signal(served):
    """The slow and the frozen tab wait out the server's silence limit (about 20 s); meanwhile
    servers of their own are stopped by SIGINT, SIGTERM, SIGHUP and SIGKILL in turn, each with two
    apps. Each server counts only its own apps (they are found by its pid)."""

    async def stops() -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL):
            await every_app_ends_when_the_server_stops(sig)

    results = await asyncio.gather(a_slow_browser_keeps_its_app_and_a_frozen_one_loses_it(served), stops(),
                                   return_exceptions=True)  # each ends its sockets and servers before the test ends
    for result in results:
        if isinstance(result, BaseException):
            raise result


def test_save_target_in_served_mode(tmp_path, monkeypatch):
    monkeypatch.delenv(saving.SAVE_DIR, raising=False)
    assert saving.refusal() is None and saving.target("a/b.json") == __import__("pathlib").Path("a/b.json")
    monkeypatch.setenv(saving.SAVE_DIR, "")
    assert "off" in saving.refusal() and isinstance(saving.target("x.json"), str)
    monkeypatch.setenv(saving.SAVE_DIR, str(tmp_path))
    assert saving.refusal() is None
    assert saving.target("mine") == tmp_path / "mine.json"
    for bad in ("../x.json", "/etc/passwd", "a/b.json", ".hidden", "", "x" * 300):
        assert isinstance(saving.target(bad), str), bad
    (tmp_path / "link.json").symlink_to(tmp_path / "elsewhere")
    assert isinstance(saving.target("link.json"), str)


async def test_w_is_off_when_served(monkeypatch):
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    monkeypatch.setenv(saving.SAVE_DIR, "")
    app = BptuiApp(load(NETWORKS / "xor.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        assert len(app.screen_stack) == 1
        assert "Saving is off" in str(app.query_one("#message").render())


def test_bad_serve_options_are_one_error_line(capsys):
    from bptui.cli import main

    assert main(["serve", "xor", "--max-size", "3000"]) == 2
    assert main(["serve", "xor", "--save-dir", "/no/such/folder"]) == 2
    assert main(["serve", "xor", "--allow-origin", "evil"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert all(line.startswith("error: ") for line in err) and len(err) == 3


async def test_beyond_loopback_warns_and_prints_a_working_address():
    server = Served("--host", "0.0.0.0")
    try:
        text = "".join(server.lines)
        assert "warning: listening on 0.0.0.0" in text
        assert "0.0.0.0" not in server.url
        status, page = await fetch(server.url)  # the printed address works from here
        assert status == 200 and "ws://0.0.0.0" not in page
    finally:
        server.stop()


async def test_w_saves_into_the_save_dir_when_served(tmp_path, monkeypatch):
    from bptui.core.formats.spec import load
    from bptui.tui.app import BptuiApp

    from .conftest import NETWORKS

    monkeypatch.setenv(saving.SAVE_DIR, str(tmp_path))
    monkeypatch.chdir(tmp_path.parent)
    app = BptuiApp(load(NETWORKS / "xor.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        for name, saved in (("../escape", False), ("mine", True)):
            await pilot.press("w")
            app.screen.query_one("#value").value = name
            await pilot.press("enter")
            await pilot.pause()
            assert (tmp_path / "mine.json").exists() == saved
        assert not (tmp_path.parent / "escape.json").exists()
        assert load(tmp_path / "mine.json").name == "xor"


async def test_on_loopback_a_foreign_host_name_is_refused(served):
    async with aiohttp.ClientSession() as session:
        async with session.get(served.url, headers={"Host": f"evil.example:{served.port}"}) as response:
            assert response.status == 403
        async with session.get(served.url.replace("127.0.0.1", "localhost")) as response:
            assert response.status == 200
    assert await handshake(served, f"http://evil.example:{served.port}") == 403
