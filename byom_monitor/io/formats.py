"""Reading and writing the service's JSON files exactly as the containers do.

Model Monitor files (statistics.json, constraints.json, constraint_violations.json) come from a
JVM: Jackson's default pretty printer (``"key" : value``, two-space indent, arrays inline as
``[ {`` ... ``} ]``) and Java's ``Double.toString`` for doubles (``2048.0``, ``1.0E-4``,
``1.2E7``; NaN and infinities quoted). :func:`dumps_jackson` reproduces that layout.
Values of Python type ``float`` are written as doubles and ``int`` as integers, so the caller
decides which fields are which (``"count" : 24.0`` but ``"item_count" : 100``).
"""
from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import numpy as np

from byom_monitor.errors import InputError
from byom_monitor.io import storage


def java_double(value: float) -> str:
    """Java's ``Double.toString`` (plain decimal for 1e-3 <= |x| < 1e7, else ``d.dddE±n``)."""
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:  # the common case: Python's repr is Java's here
        return repr(float(value))
    if math.isnan(value):
        return '"NaN"'
    if math.isinf(value):
        return '"Infinity"' if value > 0 else '"-Infinity"'
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    digit_text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) - 1 + exponent
    mantissa = digit_text[0] + "." + (digit_text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{power}"


def plain_value(value: Any) -> str:
    """A value for a message: numbers as people write them (``1.5``, not ``np.float64(1.5)``),
    texts quoted."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def dumps_jackson(document: Any) -> str:
    """Serialise like Jackson's DefaultPrettyPrinter (the Model Monitor container's output)."""
    return _jackson(document, 0)  # Jackson writes no final newline


def _jackson(value: Any, depth: int) -> str:
    if isinstance(value, dict):
        if not value:
            return "{ }"
        pad = "  " * (depth + 1)
        body = ",\n".join(f"{pad}{json.dumps(str(k), ensure_ascii=False)} : "
                           f"{_jackson(v, depth + 1)}"
                          for k, v in value.items())
        return "{\n" + body + "\n" + "  " * depth + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[ ]"
        if all(type(v) is float for v in value):  # KLL sketch data: many doubles
            return "[ " + ", ".join(map(java_double, value)) + " ]"
        return "[ " + ", ".join(_jackson(v, depth) for v in value) + " ]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if value is None:
        return "null"
    return json.dumps(str(value), ensure_ascii=False)


def dumps_clarify(document: Any) -> str:
    """Clarify's style: ``json.dumps(indent=4)``, infinities as the strings ``"Infinity"``,
    a missing (NaN) value as ``null``: always valid JSON, never a bare ``NaN`` token."""
    return json.dumps(_clarify_values(document), indent=4, allow_nan=False) + "\n"


def _clarify_values(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clarify_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clarify_values(v) for v in value]
    return value


class FormatError(InputError):
    """A result or baseline file that is not valid JSON or lacks a required key."""


def load_json(location: storage.Location) -> dict[str, Any]:
    """Read a JSON document; FormatError names the file when it is missing or invalid."""
    try:
        text = storage.read_text(location)
    except FileNotFoundError as exc:
        raise FormatError(f"{location}: file not found") from exc
    except IsADirectoryError as exc:
        raise FormatError(f"{location}: is a folder, expected a JSON file") from exc
    except PermissionError as exc:
        raise FormatError(f"{location}: cannot be read (permission denied)") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(f"{location}: not UTF-8 text ({exc.reason})") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{location}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(document, dict):
        raise FormatError(f"{location}: expected a JSON object at the top level")
    return document


def require(document: dict[str, Any], key: str, source: str, kind: type = object) -> Any:
    """``document[key]``, or FormatError naming the file and key."""
    if key not in document:
        raise FormatError(f"{source}: missing key '{key}'")
    value = document[key]
    if kind is not object and not isinstance(value, kind):
        raise FormatError(f"{source}: key '{key}' must be a {kind.__name__}")
    return value
