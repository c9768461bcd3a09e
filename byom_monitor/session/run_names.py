"""Names for SageMaker Experiments that the SDK's ``Run`` and the service accept.

``sagemaker.experiments.Run`` lowercases both names, refuses an experiment name or a run name
longer than 59 characters (``MAX_NAME_LEN_IN_BACKEND / 2 - 1``) with a ValueError, and names
the trial component ``{experiment}-{run}``; the service wants ``[a-zA-Z0-9](-*[a-zA-Z0-9])*``.
So a run name is the scenario and the start time, never the experiment name again, and a
scenario too long to fit keeps a hash of its full name so that two long names stay apart.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

#: The longest experiment or run name ``Run`` accepts (sagemaker/experiments/run.py).
MAX_NAME_LENGTH = 120 // 2 - 1
_TIME_FORMAT = "%Y%m%dt%H%M%S"  # 15 characters, lowercase as Run stores it
_HASH_LENGTH = 8


def clean(name: str) -> str:
    """Lowercase, every run of other characters turned into one ``-``, no ``-`` at the ends."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def fit(name: str, length: int = MAX_NAME_LENGTH) -> str:
    """``name`` cleaned; when longer than ``length``, cut and ended by a hash of the whole."""
    cleaned = clean(name)
    if not cleaned:
        raise ValueError(f"name {name!r} has no letters or digits")
    if len(cleaned) <= length:
        return cleaned
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{cleaned[:length - _HASH_LENGTH - 1].rstrip('-')}-{digest}"


def experiment_name(name: str) -> str:
    """An experiment name ``Run`` accepts."""
    return fit(name)


def run_name(scenario: str, started: datetime) -> str:
    """A unique run name for one scenario started at ``started``, e.g.
    ``feature-drift-systematic-20260127t101500``."""
    stamp = started.strftime(_TIME_FORMAT)
    return f"{fit(scenario, MAX_NAME_LENGTH - len(stamp) - 1)}-{stamp}"


def trial_component_name(experiment: str, run: str) -> str:
    """The trial component ``Run`` creates for these names (what config.ini records)."""
    return f"{experiment}-{run}".lower()
