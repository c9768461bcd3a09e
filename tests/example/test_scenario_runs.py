"""The dashboard's page of the example's scenario runs (what notebook 06 shows)."""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import sys
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live" / "dashboard"))

from generated_store import generate_store

from byom_monitor.example.scenario_runs import scenario_runs_page
from byom_monitor.io.config import Config
from byom_monitor.live.dashboard.app import DashboardApp


def get(app: DashboardApp, path: str) -> tuple[int, str]:
    """One GET through the WSGI application (no server)."""
    environ = {"PATH_INFO": path, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status = []
    body = b"".join(app(environ, lambda line, headers: status.append(int(line.split()[0]))))
    return status[0], body.decode()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return generate_store(tmp_path_factory.mktemp("scenario-store"), days=1,
                          minutes_of_traffic=False)


def test_the_page_shows_what_notebook_06_shows(store):
    status, page = get(DashboardApp(store, extra_pages=(scenario_runs_page(),)), "/scenarios")
    assert status == 200
    assert "<h2>Expected against observed violations</h2>" in page
    assert "<th>control</th>" in page and "<th>feature_drift</th>" in page
    assert "<h2>Label drift across scenarios</h2>" in page
    ndcg = re.search(r"nDCG of the feature attributions against the baseline: (0\.\d{3})", page)
    assert ndcg and float(ndcg.group(1)) < 0.9  # the generated attribution drift is flagged
    assert "cannot be shown" not in page
    assert page.count("<svg") >= 8  # the report's figures, drawn as SVG
    assert "<img" not in page
    assert "href='/scenarios'>Scenario runs</a>" in page  # in the navigation


def test_a_run_that_cannot_be_read_is_a_message(store, tmp_path):
    shutil.copytree(store.path.parent, tmp_path / "store")
    config = Config(tmp_path / "store" / "config.ini")
    config.save_trial("ghost", "no-such-run")
    status, page = get(DashboardApp(config, extra_pages=(scenario_runs_page(),)), "/scenarios")
    assert status == 200
    assert "The scenario runs cannot be shown: ResultError" in page and "no-such-run" in page


def test_without_recorded_runs_the_page_says_how_to_make_them(tmp_path):
    config = Config(tmp_path / "config.ini")
    status, page = get(DashboardApp(config, extra_pages=(scenario_runs_page(),)), "/scenarios")
    assert status == 200 and "Notebook 05" in page
    assert not Path(config.database).exists()  # nothing created


def test_the_page_is_drawn_once_per_set_of_runs(store):
    before = hashlib.sha256(Path(store.database).read_bytes()).hexdigest()
    app = DashboardApp(store, extra_pages=(scenario_runs_page(),))
    app.warm().join()
    first = get(app, "/scenarios")[1]
    assert get(app, "/scenarios")[1] == first
    assert hashlib.sha256(Path(store.database).read_bytes()).hexdigest() == before
