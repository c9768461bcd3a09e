"""A throwaway virtualenv with the SageMaker XGBoost container's xgboost, cached between runs.

Built once under ``~/.cache/byom-monitor/`` (or ``$BYOM_MONITOR_CACHE``) with pip from PyPI,
under a lock so parallel test runs build it once; a failed build leaves nothing behind. Outside
CI a machine without PyPI access skips the test; in CI (``CI=true``) that is a failure.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from byom_monitor.session.sagemaker_model import CONTAINER_XGBOOST


def _cache() -> Path:
    return Path(os.environ.get("BYOM_MONITOR_CACHE", Path.home() / ".cache" / "byom-monitor"))


def _package() -> str:
    # the CPU-only wheel exists for Linux and Windows (as in pyproject.toml)
    name = "xgboost-cpu" if sys.platform in ("linux", "win32") else "xgboost"
    return f"{name}=={CONTAINER_XGBOOST}"


def container_python() -> Path:
    """The python of the cached venv with xgboost {CONTAINER_XGBOOST} and numpy."""
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    target = _cache() / f"xgboost-{CONTAINER_XGBOOST}-{tag}"
    python = target / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if python.exists():
        return python
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists():
            return python
        building = target.with_name(target.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(building)], check=True,
                           capture_output=True, text=True)
            builder = building / python.relative_to(target)
            subprocess.run([str(builder), "-m", "pip", "install", "--quiet", _package(), "numpy"],
                           check=True, capture_output=True, text=True, timeout=900)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            shutil.rmtree(building, ignore_errors=True)
            output = getattr(error, "stderr", "") or ""
            message = f"cannot build a venv with {_package()}: {output.strip()[-300:]}"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(message)
            pytest.skip(message)
        os.replace(building, target)
    return python
