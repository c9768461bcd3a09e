"""The dashboard's WSGI application: routes, the access token, and security headers.

Read-only: only GET and HEAD. On 127.0.0.1 no token is needed; bound to any other address the
server refuses to start without one, and then every request must carry it (``Authorization:
Bearer TOKEN``, or the cookie set by opening any page once with ``?token=TOKEN``).
"""
from __future__ import annotations

import hmac
import ipaddress
import mimetypes
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from byom_monitor.errors import InputError
from byom_monitor.io import storage
from byom_monitor.io.config import Config
from byom_monitor.live.dashboard.alerts_view import alerts_page
from byom_monitor.live.dashboard.context import Context, since
from byom_monitor.live.dashboard.endpoint_view import endpoint_page
from byom_monitor.live.dashboard.execution_view import execution_page
from byom_monitor.live.dashboard.layout import Page, document, esc, href, link
from byom_monitor.live.dashboard.overview import overview
from byom_monitor.live.dashboard.schedule_view import schedule_page

COOKIE = "byom_dashboard_token"
MIN_TOKEN_LENGTH = 12
#: what a token may hold: it travels in a header and a cookie
TOKEN_PATTERN = rf"[A-Za-z0-9._~+/=-]{{{MIN_TOKEN_LENGTH},}}"
REASONS = {200: "OK", 204: "No Content", 303: "See Other", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error"}
SECURITY_HEADERS = [
    ("Content-Security-Policy", ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")),
    ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store")]


@dataclass(frozen=True)
class ExtraPage:
    """A page from a higher layer (the example's scenario runs): served at ``/{path}``, named
    ``title`` in the navigation, made by ``render``; ``warm`` prepares it in the background."""

    path: str
    title: str
    render: Callable[[Context], Page]
    warm: Callable[[Context], None] | None = None


class DashboardError(InputError):
    """The dashboard cannot start as asked (an address without a token, a weak token)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Only loopback addresses may be served without a token."""
    if token is not None and not re.fullmatch(TOKEN_PATTERN, token):
        raise DashboardError(f"the dashboard token must have at least {MIN_TOKEN_LENGTH} "
                             f"characters, letters, digits and . _ ~ + / = - only")
    if not token and not is_loopback(host):
        raise DashboardError(f"binding {host} serves the dashboard to other machines: set a "
                             f"token (--token, or the BYOM_DASHBOARD_TOKEN environment variable)")


class DashboardApp:
    """``app(environ, start_response)``; ``token`` None means no token is asked for."""

    def __init__(self, config: Config, token: str | None = None,
                 extra_pages: tuple[ExtraPage, ...] = ()) -> None:
        self.context = Context.from_config(config)
        self.token = token
        self.extra_pages = {page.path: page for page in extra_pages}
        self.warming: threading.Thread | None = None

    def warm(self) -> threading.Thread:
        """In the background: read a year of daily metrics of every schedule and prepare the
        extra pages, so that no first visitor waits for them."""
        def work() -> None:
            context = self.context
            for schedule in context.reader.schedules():
                latest = context.reader.latest(schedule["name"])
                if latest is not None:
                    context.daily.series(context.reader, schedule["name"],
                                         since(latest.scheduled_time, "365d"), (), ())
            for page in self.extra_pages.values():
                if page.warm is not None:
                    page.warm(context)

        self.warming = threading.Thread(target=work, daemon=True, name="dashboard-warm")
        self.warming.start()
        return self.warming

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        denied = self._denied(environ, query)
        if denied is not None:
            return self._send(start_response, method, *denied)
        if method not in ("GET", "HEAD"):
            return self._send(start_response, method, 405, self._html(Page(
                "Method not allowed", "<p>The dashboard is read-only: GET and HEAD only.</p>",
                405)), [("Allow", "GET, HEAD")])
        if self.token and "token" in query:  # keep the token out of the address bar
            rest = urlencode({k: v for k, v in query.items() if k != "token"}, doseq=True)
            cookie = (f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/")
            location = quote(environ.get("PATH_INFO", "/")) + (f"?{rest}" if rest else "")
            return self._send(start_response, method, 303, b"",
                              [("Location", location), ("Set-Cookie", cookie)])
        try:
            return self._route(environ.get("PATH_INFO", "/"), query, start_response, method)
        except Exception:  # a bug must not take the server down; the page says what happened
            traceback.print_exc(file=sys.stderr)
            return self._send(start_response, method, 500, self._html(Page(
                "Internal error", "<p>The page failed; the server's error output has the "
                "details.</p>", 500)))

    def _denied(self, environ: dict[str, Any], query: dict[str, list[str]]
                ) -> tuple[int, bytes, list] | None:
        if not self.token:
            return None
        given = None
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if authorization.startswith("Bearer "):
            given = authorization[len("Bearer "):].strip()
        elif "token" in query:
            given = query["token"][0]
        else:
            cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            given = cookie[COOKIE].value if COOKIE in cookie else None
        if given is None:
            return 401, self._html(Page("Token required", "<p>This dashboard needs its access "
                                        "token: open it with <code>?token=TOKEN</code> once, or "
                                        "send <code>Authorization: Bearer TOKEN</code>.</p>",
                                        401), bare=True), [("WWW-Authenticate", "Bearer")]
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return 403, self._html(Page("Wrong token", "<p>The token given is not this "
                                        "dashboard's.</p>", 403), bare=True), []
        return None

    def _route(self, path: str, query: dict[str, list[str]], start_response: Callable,
               method: str) -> Iterable[bytes]:
        parts = [p for p in path.split("/") if p]
        context = self.context

        def one(name: str) -> str | None:
            return query.get(name, [None])[0]

        page: Page | None = None
        if not parts:
            page = overview(context)
        elif parts == ["favicon.ico"]:
            return self._send(start_response, method, 204, b"")
        elif parts == ["alerts"]:
            page = alerts_page(context, int(one("page") or 0) if (one("page") or "0").isdigit()
                               else 0)
        elif len(parts) == 1 and parts[0] in self.extra_pages:
            page = self.extra_pages[parts[0]].render(context)
        elif len(parts) == 2 and parts[0] == "endpoints":
            page = endpoint_page(context, parts[1], one("range"))
        elif len(parts) == 2 and parts[0] == "schedules":
            page = schedule_page(context, parts[1], one("range"), one("before"))
        elif len(parts) == 4 and parts[0] == "schedules" and parts[2] == "executions":
            page = execution_page(context, parts[1], parts[3])
        elif len(parts) == 6 and parts[0] == "schedules" and parts[2:5:2] == ["executions", "files"]:
            return self._file(parts[1], parts[3], parts[5], start_response, method)
        if page is None:
            page = Page("Not found", f"<p>Nothing at {esc(path)}. {link('Overview', '/')}</p>",
                        404)
        return self._send(start_response, method, page.status, self._html(page), page.headers)

    def _file(self, name: str, scheduled_time: str, file: str, start_response: Callable,
              method: str) -> Iterable[bytes]:
        """A raw result file, only one that the execution lists among its outputs."""
        execution = self.context.reader.execution(name, scheduled_time)
        location = execution.outputs.get(file) if execution else None
        try:
            body = storage.read_bytes(location) if location else None
        except (FileNotFoundError, OSError) as exc:
            return self._send(start_response, method, 404, self._html(Page(
                "Result file missing", f"<p>{esc(exc)}</p>", 404)))
        if body is None:
            return self._send(start_response, method, 404, self._html(Page(
                "Not found", f"<p>The execution has no result file {esc(file)}.</p>", 404)))
        kind = mimetypes.guess_type(file)[0] or "text/plain"
        kind = "application/json" if file.endswith((".json", ".jsonl")) else kind
        return self._send(start_response, method, 200, body,
                          [("Content-Type", f"{kind}; charset=utf-8")])

    def _html(self, page: Page, bare: bool = False) -> bytes:
        nav = [] if bare else [
            *((f"Endpoint {e}", href("endpoints", e)) for e in self.context.reader.endpoints()),
            *((p.title, href(p.path)) for p in self.extra_pages.values())]
        return document(page, nav).encode("utf-8")

    @staticmethod
    def _send(start_response: Callable, method: str, status: int, body: bytes,
              headers: list[tuple[str, str]] | None = None) -> list[bytes]:
        headers = list(headers or [])
        if not any(k == "Content-Type" for k, _ in headers):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        headers += SECURITY_HEADERS + [("Content-Length", str(len(body)))]
        start_response(f"{status} {REASONS[status]}", headers)
        return [] if method == "HEAD" else [body]


def serve_dashboard(config: Config, host: str = "127.0.0.1", port: int = 8050,
                    token: str | None = None, extra_pages: tuple[ExtraPage, ...] = ()):
    """A started dashboard server (background thread); :func:`stop` stops it."""
    from byom_monitor.live.server import serve

    check_binding(host, token)
    app = DashboardApp(config, token, extra_pages)
    server = serve(app, host, port)
    app.warm()
    return server


def stop(server) -> None:
    """Stop serving, and let the background warm-up finish (a thread ended inside a C
    library at exit can abort the process)."""
    server.shutdown()
    server.server_close()
    warming = server.get_app().warming
    if warming is not None:
        warming.join()


def run(config: Config, host: str, port: int, token: str | None,
        extra_pages: tuple[ExtraPage, ...] = ()) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    server = serve_dashboard(config, host, port, token, extra_pages)
    shown = f"[{host}]" if ":" in host else host
    print(f"dashboard of {config.database} on http://{shown}:{server.server_port}/", flush=True)
    terminated = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: terminated.set())
    try:
        terminated.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(server)
    return 0
