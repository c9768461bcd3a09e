"""How an analyzer job ends (spec 0.3, C.3): the status and its one-line message."""
from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from byom_monitor.io import storage

#: Where the containers write the status line.
MESSAGE_FILE = "/opt/ml/output/message"
logger = logging.getLogger("byom_monitor")


@dataclass
class Outcome:
    """How any job ends, the package's one status type: ``status`` is Completed,
    CompletedWithViolations or Failed; ``message`` the status line."""

    status: str
    message: str
    outputs: dict[str, str] = field(default_factory=dict)
    violations: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "Failed"

    @classmethod
    def completed(cls, outputs: dict[str, str], violations: int) -> Outcome:
        if violations:
            return cls("CompletedWithViolations", f"CompletedWithViolations: Job completed "
                       f"successfully with {violations} violations.", outputs, violations)
        return cls("Completed", "Completed: Job completed successfully with no violations.",
                   outputs)


def run_guarded(work: Callable[[], Outcome], user_errors: tuple[type[Exception], ...],
                message_file: str | None = MESSAGE_FILE) -> Outcome:
    """Run a job: problems with its inputs end as ``Failed: <reason>``, a bug of ours as
    ``Failed: internal error: ...`` (traceback only with BYOM_DEBUG set); the status line is
    written to ``message_file``."""
    try:
        outcome = work()
    except user_errors as exc:
        outcome = Outcome("Failed", f"Failed: {exc}")
    except Exception as exc:
        if os.environ.get("BYOM_DEBUG"):
            traceback.print_exc()
        outcome = Outcome("Failed", f"Failed: internal error: {type(exc).__name__}: {exc}")
    if message_file:
        try:
            storage.write_text(message_file, outcome.message)
        except OSError as exc:
            logger.warning("could not write the status message to %s: %s", message_file, exc)
    return outcome
