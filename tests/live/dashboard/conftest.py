"""Fixtures of the dashboard tests: a generated store (three days of hourly executions of four
schedules, built once) and a dashboard served on a free port of 127.0.0.1."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from generated_store import generate_store

from byom_monitor.example.scenario_runs import scenario_runs_page
from byom_monitor.io.config import Config
from byom_monitor.live.dashboard.app import serve_dashboard, stop


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The generated store; tests that change a store use ``own_store``."""
    return generate_store(tmp_path_factory.mktemp("generated-store"), days=3)


@pytest.fixture
def own_store(generated: Config, tmp_path: Path) -> Config:
    """A copy of the generated store (its recorded result locations still name the original's
    files)."""
    shutil.copytree(generated.path.parent, tmp_path / "store")
    config = Config(tmp_path / "store" / "config.ini")
    config.set("monitoring", "database", str(tmp_path / "store" / "monitor.sqlite"))
    return config


def _served(config: Config, token: str | None = None, extra_pages: tuple = ()):
    server = serve_dashboard(config, port=0, token=token, extra_pages=extra_pages)
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def serve():
    """``serve(config, token=None)`` -> base URL of a dashboard stopped after the test."""
    servers = []

    def start(config: Config, token: str | None = None) -> str:
        server, url = _served(config, token)
        servers.append(server)
        return url

    yield start
    for server in servers:
        stop(server)


@pytest.fixture(scope="session")
def dashboard(generated: Config):
    """The base URL of a dashboard over the generated store (shared, read-only), with the
    example's scenario runs page."""
    server, url = _served(generated, extra_pages=(scenario_runs_page(),))
    yield url
    stop(server)
