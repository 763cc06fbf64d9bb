"""A headless Chromium driven over the DevTools protocol with aiohttp's websocket client: enough to
load a page, press keys, click, and read what the page's terminal received. No browser download:
the system's chromium (Debian: apt-get install chromium), or the test skips."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

PATIENCE = 60  # seconds for chromium to start or answer: a guard against a hang, not a timing test (load stretches it)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--mute-audio", "--remote-debugging-port=0", "--window-size=1280,800"]

# runs in the page before its own scripts: keeps the websocket's URL and what it receives
RECORDER = """
(() => {
  const Original = window.WebSocket;
  window.__ws = {url: null, text: "", closed: false};
  const decoder = new TextDecoder();
  window.WebSocket = function (url, protocols) {
    const socket = new Original(url, protocols);
    window.__ws.url = url;
    socket.addEventListener("message", (e) => {
      if (typeof e.data !== "string") window.__ws.text += decoder.decode(new Uint8Array(e.data), {stream: true});
    });
    socket.addEventListener("close", () => { window.__ws.closed = true; });
    return socket;
  };
  window.WebSocket.prototype = Original.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """``async with Browser() as b: page = await b.new_page(url)``."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future] = {}

    async def __aenter__(self) -> "Browser":
        self.profile = tempfile.TemporaryDirectory(prefix="bptui-chromium-")
        self.proc = subprocess.Popen([self.executable, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + PATIENCE
        while not port_file.exists() or len(port_file.read_text().split()) < 2:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                await self.close()
                raise RuntimeError("chromium did not start")
            await asyncio.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0)
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            future = self.pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                if "error" in data:
                    future.set_exception(RuntimeError(str(data["error"])))
                else:
                    future.set_result(data.get("result", {}))

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict:
        message_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, PATIENCE)

    async def new_page(self, url: str) -> "Page":
        target = (await self.send("Target.createTarget", url="about:blank"))["targetId"]
        session = (await self.send("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
        page = Page(self, target, session)
        await page.send("Page.enable")
        await page.send("Page.addScriptToEvaluateOnNewDocument", source=RECORDER)
        await page.send("Page.navigate", url=url)
        return page

    def freeze(self) -> None:
        """Stop the browser's processes (SIGSTOP): it neither closes its sockets nor answers pings,
        as when a laptop sleeps or the network goes."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    async def close(self) -> None:
        if getattr(self, "reader", None) is not None:
            self.reader.cancel()
        if getattr(self, "ws", None) is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # first: a frozen browser would not answer a close
            self.proc.wait()
        if getattr(self, "ws", None) is not None:
            await self.ws.close()
        if getattr(self, "http", None) is not None:
            await self.http.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.profile.cleanup()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Page:
    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    async def send(self, method: str, **params: Any) -> dict:
        return await self.browser.send(method, self.session, **params)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout: float = PATIENCE) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise TimeoutError(f"not true within {timeout} s: {expression}")

    async def received(self) -> str:
        return await self.evaluate("window.__ws.text") or ""

    async def press(self, key: str) -> None:
        """A printable key, as the keyboard sends it, to whatever has the page's focus."""
        for kind in ("keyDown", "keyUp"):
            params: dict[str, Any] = {"type": kind, "key": key}
            if kind == "keyDown":
                params["text"] = key
            await self.send("Input.dispatchKeyEvent", **params)

    async def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    async def close(self) -> None:
        await self.browser.send("Target.closeTarget", targetId=self.target)
