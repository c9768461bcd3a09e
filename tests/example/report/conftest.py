"""Result files of a small orchestration (four baselines, a few scenarios), made once."""
from __future__ import annotations

import pytest

#: Scenarios that between them trip every check but bias (the bias scenario is left out: slow),
#: and the control.
SCENARIOS = ("control", "default", "feature_drift_systematic", "explainability_drift",
             "label_drift")


@pytest.fixture(scope="session")
def orchestrated(prepared, tmp_path_factory):
    """config.ini of a folder where the steps of notebooks 01 and 05 ran (05 on SCENARIOS)."""
    import generate_altered
    from byom_monitor.example import orchestrate, workflow
    from byom_monitor.io.config import Config

    config = Config(tmp_path_factory.mktemp("orchestrated") / "config.ini")
    config.set("monitoring", "model_dir", str(prepared["models"]))
    config.set("monitoring", "data_dir", str(prepared["data"]))
    workflow.data_quality_baseline(config)
    workflow.model_quality_baseline(config)
    workflow.review_model_quality(config)  # as notebook 01 reviews and edits them
    workflow.clarify_baseline(config, "model-bias")
    workflow.review_bias(config)
    workflow.clarify_baseline(config, "model-explainability")
    orchestrate.run_scenarios(config, SCENARIOS,
                              lambda name: generate_altered.main(name, config=config),
                              progress=lambda _: None)
    record_as_sagemaker_experiments(config)
    return config


def record_as_sagemaker_experiments(config) -> None:
    """Each run's parameters logged again with ``sagemaker.experiments.Run`` on the in-process
    session, and [EXPERIMENT_TRIALS] naming those trial components, as notebook 05 records them
    on the SageMaker session."""
    from sagemaker.experiments import Run

    from byom_monitor.example.experiments import ExperimentStore
    from byom_monitor.session.sessions import session_from_config

    session, _, _ = session_from_config(config)
    store = ExperimentStore(config.database)
    for key, run_id in config.items("EXPERIMENT_TRIALS").items():
        with Run(experiment_name="model-monitor-byom", run_name=f"{key}-1",
                 sagemaker_session=session) as run:
            run.log_parameters(store.parameters(run_id))
            config.save_trial(key, run.experiment_config["RunName"])


@pytest.fixture(scope="session")
def results(orchestrated):
    from byom_monitor.example.report import Results
    from byom_monitor.session.sessions import session_from_config

    session, _, _ = session_from_config(orchestrated)
    return Results.load(orchestrated, session)
