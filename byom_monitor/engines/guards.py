"""Input checks shared by the engines: a clear InputError instead of an IndexError deep inside,
or a NaN that quietly turns into a perfect score."""
from __future__ import annotations

from typing import Any

import numpy as np

from byom_monitor.errors import InputError


def numbers(values: Any, name: str, *, allow_empty: bool = False,
            allow_infinite: bool = False) -> np.ndarray:
    """``values`` as a float array; InputError naming ``name`` when they are not numbers, when
    there are none (unless ``allow_empty``), or when one is NaN (or infinite, unless
    ``allow_infinite``)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: values that are not numbers") from None
    if array.size == 0 and not allow_empty:
        raise InputError(f"{name}: no values")
    bad = np.isnan(array) if allow_infinite else ~np.isfinite(array)
    if bad.any():
        raise InputError(f"{name}: {int(bad.sum())} NaN or infinite value(s) of {array.size}")
    return array


def not_empty(values: np.ndarray, name: str) -> np.ndarray:
    if len(values) == 0:
        raise InputError(f"{name}: no values")
    return values
