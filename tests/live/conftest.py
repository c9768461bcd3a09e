"""A served model with data capture and replayed traffic, for the scheduler's tests."""
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from byom_monitor.example.baselines import build_baseline
from byom_monitor.live.capture import DataCapture
from byom_monitor.live.replay import replay
from byom_monitor.live.server import OperationalMetrics, make_app, serve

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def baselines(config, *checks):
    """The baselines built with the SDK on the session of config.ini (the local one)."""
    from byom_monitor.session.sessions import session_from_config

    session, role, bucket = session_from_config(config)
    for check in checks:
        build_baseline(config, session, role, bucket, check)


def capture_traffic(config, models, data, folder, start=START):
    """2 hours of normal then 2 of drifted traffic (duration + 24) from ``start``, captured
    below ``folder/capture`` with ground truth in ``folder/truth``."""
    capture = DataCapture(str(folder / "capture"), "credit-model", flush_seconds=0.2)
    metrics = OperationalMetrics(config.database, "credit-model")
    server = serve(make_app(models, capture=capture, metrics=metrics, simulated_time=True),
                   port=0)
    url = f"http://127.0.0.1:{server.server_port}/invocations"
    train = pd.read_csv(data / "train.csv")
    features = [c for c in train.columns if c != "credit_risk"]
    every = timedelta(seconds=7200 / len(train))  # each replay spans two hours
    replay(url, train, features, start=start, interval=every, label="credit_risk",
           ground_truth=str(folder / "truth"), clients=4, prefix="normal")
    replay(url, train.assign(duration=train["duration"] + 24), features,
           start=start + timedelta(hours=2), interval=every, label="credit_risk",
           ground_truth=str(folder / "truth"), clients=4, prefix="drifted")
    server.shutdown()
    capture.close()
    metrics.close()


@pytest.fixture
def monitored(example_config, prepared, tmp_path):
    """Baselines, a served model with capture, 2 hours of normal then 2 of drifted traffic."""
    baselines(example_config, "data-quality", "model-quality")
    capture_traffic(example_config, prepared["models"], prepared["data"], tmp_path)
    return example_config, tmp_path


@pytest.fixture
def add_baselines():
    """``add_baselines(config, *checks)``: more baselines for a test."""
    return baselines


@pytest.fixture
def traffic():
    """``traffic(config, models, data, folder, start)``: capture_traffic for a test."""
    return capture_traffic
