"""Value types as Deequ classifies them (the Model Monitor container's data-type rules).

Each present value is Integral, Fractional, Boolean or String by its text; a column's type is
decided from the counts (:func:`column_type`). The Model Monitor files know no Boolean type;
such columns are reported as String (spec B.4 leaves this unconfirmed; we follow its guess).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

INTEGRAL = "Integral"
FRACTIONAL = "Fractional"
BOOLEAN = "Boolean"
STRING = "String"
UNKNOWN = "Unknown"
NUMERIC_TYPES = (INTEGRAL, FRACTIONAL)

_INTEGRAL = re.compile(r"^(-|\+)? ?\d+$")
_FRACTIONAL = re.compile(r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$")
_BOOLEAN = re.compile(r"^(true|false)$")


def classify_text(text: str) -> str:
    """The Deequ type of one non-null value given as text."""
    if _INTEGRAL.match(text):
        return INTEGRAL
    if _FRACTIONAL.match(text):
        return FRACTIONAL
    if _BOOLEAN.match(text):
        return BOOLEAN
    return STRING


def classify_value(value: object) -> str:
    """Like :func:`classify_text` for values that arrive typed (JSON numbers and booleans)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGRAL
    if isinstance(value, float):
        return FRACTIONAL if value == value and abs(value) != float("inf") else STRING
    return classify_text(str(value))


def column_type(counts: dict[str, int]) -> str:
    """Deequ's ``determineType`` over per-type counts of the present values."""
    present = sum(counts.get(t, 0) for t in (INTEGRAL, FRACTIONAL, BOOLEAN, STRING))
    if present == 0:
        return UNKNOWN
    numeric = counts.get(INTEGRAL, 0) + counts.get(FRACTIONAL, 0)
    if counts.get(STRING, 0) > 0 or (counts.get(BOOLEAN, 0) > 0 and numeric > 0):
        return STRING
    if counts.get(BOOLEAN, 0) > 0:
        return STRING  # Boolean: not a Model Monitor type
    if counts.get(FRACTIONAL, 0) > 0:
        return FRACTIONAL
    return INTEGRAL


def to_number(text: str) -> float:
    """The number a numeric text stands for (the regexes allow one space after the sign)."""
    return float(text.replace(" ", ""))


def count_types(values: Iterable[str], weights: Iterable[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for text, weight in zip(values, weights):
        kind = classify_text(text)
        counts[kind] = counts.get(kind, 0) + int(weight)
    return counts
