"""Result files of a small orchestration (four baselines, a few scenarios), made once."""
from __future__ import annotations

import pytest

#: Scenarios that between them trip every check but bias (the bias scenario is left out: slow),
#: and the control.
SCENARIOS = ("control", "default", "feature_drift_systematic", "explainability_drift",
             "label_drift")


@pytest.fixture(scope="session")
def orchestrated(prepared, tmp_path_factory):
    """config.ini of a folder where the steps of notebooks 01 and 05 ran (05 on SCENARIOS), on
    the in-process SageMaker session."""
    import generate_altered
    from byom_monitor.example.baselines import CHECKS, build_baseline
    from byom_monitor.example.scenario_recording import record_scenarios
    from byom_monitor.io.config import Config
    from byom_monitor.session.sessions import session_from_config

    config = Config(tmp_path_factory.mktemp("orchestrated") / "config.ini")
    config.set("monitoring", "model_dir", str(prepared["models"]))
    config.set("monitoring", "data_dir", str(prepared["data"]))
    session, role, bucket = session_from_config(config)
    for check in CHECKS:
        build_baseline(config, session, role, bucket, check)
    record_scenarios(config, session, role, bucket, SCENARIOS,
                     lambda name: generate_altered.main(name, config=config, session=session))
    return config


@pytest.fixture(scope="session")
def results(orchestrated):
    from byom_monitor.example.report import Results
    from byom_monitor.session.sessions import session_from_config

    session, _, _ = session_from_config(orchestrated)
    return Results.load(orchestrated, session)
