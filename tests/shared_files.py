"""Files under ../shared (reference material beside the checkout), for fixtures and tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SKIP_REASON = "reference file not available"


def shared_path(*parts: str) -> Path:
    """A file under ../shared; when it is not there the test skips (fails in CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{SKIP_REASON} in CI: {path} (the compatibility tests must run)")
        pytest.skip(f"{SKIP_REASON}: {path}")
    return path
