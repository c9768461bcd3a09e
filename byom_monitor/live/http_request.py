"""Reading a WSGI request safely: the body within a size limit, and the simulated-time header.

The declared ``Content-Length`` is checked before a byte of the body is read, so an oversized
body never reaches memory, and a request without a usable length is refused instead of being
read to the end of the connection.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

MAX_BODY_BYTES = 6 * 1024 * 1024  # SageMaker's invocation payload limit


class BadRequest(ValueError):
    """The request cannot be served; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def body_length(environ: dict[str, Any], max_bytes: int) -> int:
    """The declared body length, checked: 400 when malformed, 411 when absent, 413 when over
    ``max_bytes``."""
    if environ.get("HTTP_TRANSFER_ENCODING"):
        raise BadRequest(411, "chunked or other transfer encodings are not accepted: send a "
                              "Content-Length")
    text = environ.get("CONTENT_LENGTH")
    if text is None or text == "":
        raise BadRequest(411, "Content-Length required")
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise BadRequest(400, f"invalid Content-Length {text[:40]!r}: expected a number of bytes")
    length = int(text)
    if length > max_bytes:
        raise BadRequest(413, f"body of {length} bytes exceeds {max_bytes} bytes")
    return length


def read_body(environ: dict[str, Any], max_bytes: int) -> bytes:
    """Exactly the declared body (BadRequest for a bad length or a body cut short)."""
    length = body_length(environ, max_bytes)
    try:
        body = environ["wsgi.input"].read(length) if length else b""
    except OSError as exc:  # a socket timeout or a reset while reading
        raise BadRequest(400, f"body not received: {type(exc).__name__}") from None
    if len(body) != length:
        raise BadRequest(400, f"body ended after {len(body)} of {length} bytes")
    return body


def header_time(environ: dict[str, Any], header: str) -> datetime | None:
    """The ISO-8601 time of ``header`` in UTC (None when absent); BadRequest when it is not a
    time with a UTC offset."""
    stamp = environ.get("HTTP_" + header.upper().replace("-", "_"))
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(400, f"{header}: {stamp[:60]!r} is not an ISO-8601 time") from None
    if when.tzinfo is None:
        raise BadRequest(400, f"{header}: {stamp[:60]!r} has no UTC offset (add Z or +hh:mm)")
    return when.astimezone(timezone.utc)
