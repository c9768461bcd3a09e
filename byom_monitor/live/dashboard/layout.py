"""The HTML around every page: navigation, styles (inline; the pages load nothing else), and
small builders for tables, status badges and notices. Every value is escaped here or by the
caller with :func:`esc`."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fff}
header{background:#232f3e;color:#fff;padding:8px 20px;display:flex;gap:18px;align-items:center}
header a{color:#fff;text-decoration:none}header strong{margin-right:12px}
main{padding:12px 20px;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px}
td,th{padding:3px 10px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top;font-size:14px}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{padding:1px 7px;border-radius:9px;font-size:12px;color:#fff;white-space:nowrap}
.Completed{background:#4c9a2a}.CompletedWithViolations{background:#c0392b}
.Failed{background:#7b241c}.InProgress,.Pending{background:#2e86c1}.Stopped,.none{background:#7f8c8d}
.notice{border-left:4px solid #c0392b;background:#fdf2f0;padding:6px 10px;margin:6px 0}
.hint{border-left:4px solid #2e86c1;background:#eef6fc;padding:6px 10px;margin:6px 0}
.grid{display:flex;flex-wrap:wrap;gap:10px}
pre{background:#f6f6f6;padding:8px;overflow-x:auto}
.ranges a{margin-right:8px}.ranges strong{margin-right:8px}
"""


@dataclass
class Page:
    """What a view returns: a title and body HTML, or another status with a message."""

    title: str
    body: str
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)


def esc(value: object) -> str:
    return escape("" if value is None else str(value))


def href(*parts: str, **query: object) -> str:
    """A site path from unescaped parts (each percent-encoded), with a query string."""
    path = "/" + "/".join(quote(p, safe="") for p in parts)
    pairs = [f"{k}={quote(str(v), safe='')}" for k, v in query.items() if v is not None]
    return esc(path + ("?" + "&".join(pairs) if pairs else ""))


def link(text: object, url: str) -> str:
    return f"<a href='{url}'>{esc(text)}</a>"


def badge(status: str | None) -> str:
    label = status or "no execution"
    return f"<span class='badge {esc(status or 'none')}'>{esc(label)}</span>"


def notice(text: str) -> str:
    return f"<div class='notice'>{esc(text)}</div>"


def hint(html_text: str) -> str:
    return f"<div class='hint'>{html_text}</div>"


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric: set[int] = frozenset()
          ) -> str:
    """A table of already escaped cells; columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}g}" if isinstance(value, float) else esc(value)


def document(page: Page, more: list[tuple[str, str]]) -> str:
    """The whole HTML page; ``more`` are (title, URL) links of the navigation after the
    overview and the alerts."""
    nav = [link("Overview", "/"), link("Alerts", "/alerts")]
    nav += [link(title, url) for title, url in more]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<link rel='icon' href='data:,'>"
            f"<title>{esc(page.title)} - byom-monitor</title><style>{STYLE}</style></head><body>"
            f"<header><strong>byom-monitor</strong>{''.join(nav)}</header>"
            f"<main><h1>{esc(page.title)}</h1>{page.body}</main></body></html>")
