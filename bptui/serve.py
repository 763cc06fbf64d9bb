"""``bptui serve``: the terminal app in a web browser, safe enough to run for a class.

textual-serve (kept as the dependency that does the work: its page, its JavaScript terminal, its
protocol with the app process) serves any app to anyone who reaches the port. Its ``Server`` and
``AppService`` have no hooks for what a class needs, so this module subclasses them:

- **a token**: the page is ``/?token=T`` and its websocket ``/ws/T``, with T random per server
  (``secrets``), as Jupyter does; a page or websocket without it gets 403;
- **the page's own origin**: the websocket refuses an ``Origin`` other than the page's
  (``scheme://Host``) or one the operator allows (``--allow-origin``, for a reverse proxy), and a
  request without one; browsers send it, and do not stop a foreign page from opening websockets;
  on loopback, the ``Host`` must be a loopback name too (no DNS rebinding);
- **bounds**: at most ``max_sessions`` apps at once (a clear page when full), a terminal of at
  most ``max_size`` cells (larger requests are cut down), websocket messages of at most 64 KiB;
- **no app outlives its session**: the app runs as ``python -m bptui FILE`` (no shell) in a
  session of its own; when the browser goes it is asked to quit and killed after a second: at
  once when the tab closes (the websocket closes), and after ``SILENCE_LIMIT`` seconds without a
  word from a browser that keeps the socket open but stopped answering (a laptop asleep); the
  server pings every ``PING_EVERY`` seconds, so a browser that is only slow (a classroom network,
  a busy machine) may be silent for ``SILENCE_LIMIT - PING_EVERY`` seconds and keep its app;
  each session's end is logged with its reason; when the server stops, by SIGINT, SIGTERM or
  SIGHUP, every app is killed and every socket closed, at once; if the server is killed outright,
  the apps' driver (``bptui.tui.web_driver``) ends them: the kernel's parent-death signal on
  Linux, and the end of stdin everywhere;
- **saving**: off in the apps unless the operator names a folder (``--save-dir``); then ``w``
  writes plain file names into it (``bptui.tui.saving``).

Copied from textual-serve, because no hook reaches them: the page template (see its header),
``AppService._open_app_process`` (to run the app without a shell, in its own session) and the
websocket's message loop (to check what the browser sends).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import os
import secrets
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from .tui.web_driver import SERVER_PID

log = logging.getLogger("textual-serve")

TEMPLATES = Path(__file__).with_name("serve_templates")
DRIVER = "bptui.tui.web_driver:ServedDriver"
PING_EVERY = 5.0  # seconds between the server's pings to each browser (a browser answers them by itself)
SILENCE_LIMIT = 20.0  # seconds without a word from a browser (an answer, a key) before its session ends:
# a slow browser is never silent longer than its delay plus PING_EVERY, so 15 s of delay are tolerated,
# and a frozen one's app ends at most SILENCE_LIMIT + QUIT_GRACE = 21 s after it froze
QUIT_GRACE = 1.0  # seconds an app has to quit before it is killed
CLOSE_GRACE = 1.0  # seconds a browser has to answer the server's closing of its socket (then it is cut)
MAX_MESSAGE = 64 * 1024  # bytes in one websocket message from the browser
DEFAULT_MAX_SESSIONS = 20
DEFAULT_MAX_SIZE = (400, 150)  # columns × rows a browser may ask for
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server to this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """0.0.0.0, ::, 0, or empty: every address of this machine."""
    try:
        return host.strip("[]") == "" or ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return host.strip() in {"0", "*"}


def reachable_host(host: str) -> str:
    """A host name a browser elsewhere can use for a server listening on ``host``."""
    if not is_wildcard(host):
        return f"[{host}]" if ":" in host else host
    try:  # the address this machine would use to reach the outside (a UDP connect sends nothing)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        if not ipaddress.ip_address(address).is_loopback:
            return address
    except OSError:
        pass
    return socket.gethostname()


def normalize_origin(origin: str) -> str:
    """``https://Example.org:443/`` → ``https://example.org``: what a browser sends as Origin."""
    origin = origin.strip().rstrip("/").lower()
    for scheme, port in (("http://", ":80"), ("https://", ":443")):
        if origin.startswith(scheme) and origin.endswith(port):
            origin = origin[: -len(port)]
    return origin


def clamp(value: Any, low: int, high: int, default: int) -> int:
    """A terminal dimension from the browser: an int in [low, high] (anything else: default)."""
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default
    return min(max(number, low), high)


class Session(AppService):
    """One browser tab's app: run without a shell, in its own process session, and killed if it
    does not quit when asked."""

    def __init__(self, argv: list[str], environment: dict[str, str], max_size: tuple[int, int], *,
                 close: Any, **kwargs: Any) -> None:
        self.exited = False  # the app said it exits (textual-serve then closes the socket)

        async def app_exits() -> None:
            self.exited = True
            await close()

        super().__init__(shlex.join(argv), close=app_exits, **kwargs)
        self.argv = argv
        self.extra_environment = environment
        self.max_size = max_size

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment.update(self.extra_environment)
        environment["TEXTUAL_DRIVER"] = DRIVER
        environment[SERVER_PID] = str(os.getpid())
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        # textual-serve's, with exec instead of a shell and a session of the app's own
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=environment, start_new_session=True)
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def size(self, width: Any, height: Any) -> tuple[int, int]:
        return clamp(width, 10, self.max_size[0], 80), clamp(height, 5, self.max_size[1], 24)

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(*self.size(width, height))

    async def start(self, width: int, height: int) -> None:
        await super().start(*self.size(width, height))

    async def stop(self) -> None:
        """Ask the app to quit; kill it if it has not within ``QUIT_GRACE`` seconds."""
        try:
            await asyncio.wait_for(super().stop(), QUIT_GRACE)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            self.kill()

    def kill(self) -> None:
        """Kill the app's process group now (nothing, if it has exited)."""
        process = self._process
        if process is not None and process.returncode is None:
            try:
                if hasattr(os, "killpg"):
                    os.killpg(process.pid, signal.SIGKILL)  # the app and anything it started
                else:  # pragma: no cover - Windows
                    process.kill()
            except (ProcessLookupError, PermissionError):
                pass
        if self._task is not None and not self._task.done():
            self._task.cancel()


class ClassServer(Server):
    """textual-serve's Server with a token, an origin check, bounds, and no stray apps."""

    def __init__(self, argv: list[str], *, host: str = "127.0.0.1", port: int = 8000,
                 title: str = "bptui", token: str | None = None, allow_origins: tuple[str, ...] = (),
                 max_sessions: int = DEFAULT_MAX_SESSIONS, max_size: tuple[int, int] = DEFAULT_MAX_SIZE,
                 save_dir: Path | None = None, environment: dict[str, str] | None = None) -> None:
        super().__init__(shlex.join(argv), host=host, port=port, title=title, templates_path=TEMPLATES)
        self.argv = argv
        self.token = token or secrets.token_urlsafe(24)
        self.allow_origins = {normalize_origin(o) for o in allow_origins}
        self.max_sessions = max_sessions
        self.max_size = max_size
        self.environment = dict(environment or {})
        self.environment["BPTUI_SAVE_DIR"] = "" if save_dir is None else str(save_dir.resolve())
        self.sessions: dict[Session, web.WebSocketResponse] = {}  # each app, and its browser's socket
        self.stopping = False
        self.page_url = f"http://{reachable_host(host)}:{port}/?token={self.token}"

    # -- the web application ---------------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_MESSAGE)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws/{token}", self.handle_websocket, name="websocket"),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    def token_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.token.encode())

    def host_ok(self, request: web.Request) -> bool:
        """Listening on loopback, the page must be asked for by a loopback name (localhost,
        127.0.0.1, [::1]): a foreign name that resolves here is DNS rebinding."""
        if not is_loopback(self.host):
            return True
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        return is_loopback(host.strip("[]"))

    def origin_ok(self, request: web.Request) -> bool:
        """The websocket's Origin is the page's own (``scheme://Host``) or one the operator allows."""
        origin = request.headers.get("Origin")
        if not origin:
            return False
        origin = normalize_origin(origin)
        own = normalize_origin(f"{request.scheme}://{request.host}")
        return hmac.compare_digest(origin.encode(), own.encode()) or origin in self.allow_origins

    @staticmethod
    def page(status: int, title: str, text: str) -> web.Response:
        body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
                "<body style='background:#0c181f;color:#eee;font:18px monospace;padding:3em'>"
                f"<h1>{title}</h1><p>{text}</p></body></html>")
        return web.Response(status=status, text=body, content_type="text/html", headers=SECURITY_HEADERS)

    async def handle_index(self, request: web.Request) -> web.Response:
        if not self.host_ok(request):
            return self.page(403, "Wrong host", "This server answers only to this machine's own names.")
        if not self.token_ok(request.query.get("token")):
            return self.page(403, "This page needs its token",
                             "Open the address that <code>bptui serve</code> printed, with its "
                             "<code>?token=…</code>.")
        if len(self.sessions) >= self.max_sessions:
            return self.page(503, "Full",
                             f"This server runs at most {self.max_sessions} sessions at once, and all "
                             "are in use. Try again when someone closes a tab.")
        context = {
            "font_size": clamp(request.query.get("fontsize", "16"), 6, 64, 16),
            "websocket_path": f"ws/{self.token}",
            "config": {"static": {"url": "static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self.token_ok(request.match_info.get("token")) or not self.host_ok(request):
            raise web.HTTPForbidden(text="wrong token or host")
        if not self.origin_ok(request):
            log.warning("refused a websocket from origin %r", request.headers.get("Origin"))
            raise web.HTTPForbidden(text="origin not allowed")
        if len(self.sessions) >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text=f"full: {self.max_sessions} sessions")
        # no aiohttp heartbeat (it allows half a ping interval for the answer): the pings and the
        # silence limit are this module's (``_exchange``)
        websocket = web.WebSocketResponse(autoping=False, max_msg_size=MAX_MESSAGE, timeout=CLOSE_GRACE)
        session = Session(self.argv, self.environment, self.max_size, write_bytes=websocket.send_bytes,
                          write_str=websocket.send_str, close=websocket.close,
                          download_manager=self.download_manager)
        self.sessions[session] = websocket  # counted before the first await: the cap holds under a rush
        reason = "the server stops"
        try:
            await websocket.prepare(request)
            await session.start(request.query.get("width", 80), request.query.get("height", 24))  # type: ignore[arg-type]
            reason = await self._exchange(websocket, session)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # a session's failure is logged; the server carries on
            reason = "an error"
            log.exception(error)
        finally:
            self.sessions.pop(session, None)
            await asyncio.shield(session.stop())
            log.info("session ended: %s (%d running)", "the server stops" if self.stopping else reason,
                     len(self.sessions))
            if not websocket.closed:
                await websocket.close()
        return websocket

    @staticmethod
    async def _keep_pinging(websocket: web.WebSocketResponse) -> None:
        """A ping every ``PING_EVERY`` seconds while the socket is open: a browser answers with a
        pong, so one that is open, idle and well is never silent for long."""
        while not websocket.closed:
            await asyncio.sleep(PING_EVERY)
            try:
                await websocket.ping()
            except (ConnectionError, RuntimeError):  # closing meanwhile
                return

    async def _exchange(self, websocket: web.WebSocketResponse, session: Session) -> str:
        """textual-serve's loop, checking what the browser sends (a malformed message is ignored),
        answering its pings, and ending when it closes or has said nothing (not even a pong) for
        ``SILENCE_LIMIT`` seconds. Returns why it ended."""
        pinger = asyncio.create_task(self._keep_pinging(websocket))
        try:
            while True:
                try:
                    message = await websocket.receive(timeout=SILENCE_LIMIT)
                except asyncio.TimeoutError:
                    return f"no word from the browser for {SILENCE_LIMIT:g} s"
                if message.type == WSMsgType.CLOSE:
                    return "the browser closed it"
                if message.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    return "the app ended" if session.exited else "the connection was lost"
                if message.type == WSMsgType.PING:
                    await websocket.pong(message.data)
                if message.type == WSMsgType.TEXT:
                    await self._handle(websocket, session, message.data)
        finally:
            pinger.cancel()

    @staticmethod
    async def _handle(websocket: web.WebSocketResponse, app_service: AppService, text: str) -> None:
        """One text message from the browser: ``[kind, data]`` in JSON; anything else is ignored."""
        try:
            envelope = json.loads(text)
        except ValueError:
            return
        if not isinstance(envelope, list) or not envelope:
            return
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await app_service.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            await app_service.set_terminal_size(data.get("width"), data.get("height"))  # type: ignore[arg-type]
        elif kind == "ping" and isinstance(data, (str, int, float)):
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await app_service.blur()
        elif kind == "focus":
            await app_service.focus()

    # -- start and stop ------------------------------------------------------------------------------
    async def on_startup(self, app: web.Application) -> None:
        """Nothing: the address is printed once the server listens (``announce``)."""

    def announce(self, *_: Any) -> None:
        if not is_loopback(self.host):
            print(f"warning: listening on {self.host or 'every address'}, beyond this machine: anyone who "
                  f"can reach port {self.port} and has the token can run the app. Use a network you trust.",
                  flush=True)
        print(f"serving {self.title} at {self.page_url}", flush=True)
        print(f"at most {self.max_sessions} sessions · Ctrl+C stops", flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        """Every app killed, and every browser's socket closed (its page says so), so that the
        server ends at once instead of waiting for its browsers to go."""
        self.stopping = True
        self.kill_all()
        await asyncio.gather(*(websocket.close(code=WSCloseCode.GOING_AWAY) for websocket in self.sessions.values()),
                             return_exceptions=True)

    def kill_all(self) -> None:
        for session in list(self.sessions):
            session.kill()

    def serve(self, debug: bool = False) -> None:
        """textual-serve's, announcing the address once the server listens, and stopping on
        SIGHUP too; every app is killed on the way out."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is None:  # pragma: no cover - no SIGHUP on Windows
                continue
            try:
                loop.add_signal_handler(sig, self.request_exit)
            except (NotImplementedError, AttributeError, ValueError):  # pragma: no cover - Windows
                pass
        try:
            # no access log: each request's URL carries the session token, and a class sees the screen
            web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                        print=self.announce, access_log=None)
        finally:
            self.kill_all()


SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the token is in the page's address
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def app_argv(path: str, no_color: bool = False, notation: str | None = None) -> list[str]:
    """The command for each browser tab: this Python's ``-m bptui FILE`` (``--notation``: a profile's
    name or its file's absolute path)."""
    argv = [sys.executable, "-m", "bptui", str(Path(path).resolve())]
    return argv + (["--no-color"] if no_color else []) + (["--notation", notation] if notation else [])
