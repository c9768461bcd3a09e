"""The package's exceptions: one base, and a subclass wherever a caller would catch differently.

Every layer imports this module, so it imports nothing from the package.

- :class:`InputError`: the input is wrong (a dataset, a column, a config key, a result file);
  the caller fixes the input and tries again. It is a ``ValueError`` too, so code that caught
  ``ValueError`` before keeps working. The subclasses (``DatasetError``, ``FormatError``,
  ``ConfigError``, ``ClarifyError``, ...) say which input, and live next to the code that reads it.
- :class:`JobFailed`: a job (analyzer, Clarify, a pipeline step) ran and ended ``Failed``; the
  message is its status line. The caller reads the message, it does not change an argument.
"""
from __future__ import annotations

from typing import Any


class MonitorError(Exception):
    """Base of every error byom_monitor raises on purpose."""


class InputError(MonitorError, ValueError):
    """An input that cannot be used; the message names the file, column or key."""


class JobFailed(MonitorError):
    """A job ended ``Failed``; ``outcome`` is its status (when one was recorded)."""

    def __init__(self, message: str, outcome: Any = None) -> None:
        super().__init__(message)
        self.outcome = outcome
