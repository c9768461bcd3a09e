"""Shared fixtures: paths to ../shared reference material.

Without ../shared the tests that compare with the real service's files skip, and the summary
says how many did; with the environment variable CI=true (as ``.ci/run`` sets it) a missing
reference file is a failure instead, so CI never passes without the compatibility tests.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from shared_files import ROOT, SHARED, SKIP_REASON, shared_path

sys.path.insert(0, str(ROOT))  # the example's top-level modules: prep, generate_altered


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line saying how many tests skipped for want of ../shared."""
    skipped = [report for report in terminalreporter.stats.get("skipped", [])
               if SKIP_REASON in str(report.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} test(s) skipped: reference files under {SHARED} are missing, so "
            f"the compatibility tests against the real service outputs did not run "
            f"(in CI, CI=true, they fail instead)", yellow=True)


@pytest.fixture
def real_credit_file() -> Path:
    return shared_path("data", "SouthGermanCredit.asc")


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """prep.main() run once on synthetic data into a temporary folder."""
    import prep

    base = tmp_path_factory.mktemp("prepared")
    paths = {"data": base / "data", "models": base / "models", "base": base}
    prep.main(0, raw_file=base / "absent.asc", data_dir=paths["data"], model_dir=paths["models"])
    return paths


@pytest.fixture
def shared():
    """``shared("compat", ...)``: a path under ../shared, skipping the test when absent."""
    return shared_path


@pytest.fixture
def s3_bucket(monkeypatch):
    """A moto S3 bucket used by byom_monitor.io.storage; yields its ``s3://`` root."""
    import boto3
    from moto import mock_aws

    from byom_monitor.io import storage

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="monitor-bucket")
        storage.set_s3_client(client)
        yield "s3://monitor-bucket"
        storage.set_s3_client(None)


@pytest.fixture
def example_config(prepared, tmp_path):
    """A config.ini pointing at the prepared model and data, results under tmp_path."""
    from byom_monitor.io.config import Config

    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "model_dir", str(prepared["models"]))
    config.set("monitoring", "data_dir", str(prepared["data"]))
    return config


@pytest.fixture
def restore_storage():
    """Put back byom_monitor.io.storage's S3 client after a test that opened the local
    SageMaker session (which points storage at the local S3)."""
    from byom_monitor.io import storage

    saved = storage._s3_client
    yield
    storage.set_s3_client(saved)
