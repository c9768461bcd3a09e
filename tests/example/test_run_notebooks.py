import json
import os
import shutil
from pathlib import Path

import pytest

import generate_altered
from byom_monitor.example.checks import CHECKS
from byom_monitor.example.run_notebooks import (
    NOTEBOOKS,
    NotebookFailed,
    failure_text,
    kernel_environment,
    main,
    run_notebooks,
)
from byom_monitor.io import storage
from byom_monitor.io.config import Config

ROOT = Path(__file__).resolve().parents[2]
SHARED_FILE = ROOT.parent / "shared" / "data" / "SouthGermanCredit.asc"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebooks_have_no_outputs(name):
    notebook = json.loads((ROOT / name).read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and not any(c.get("outputs") or c.get("execution_count") for c in code)


def _clone(tmp_path: Path, models: Path, data: Path) -> Config:
    """The example laid out as in a clone, with the prepared model and data."""
    for name in NOTEBOOKS + ("prep.py", "generate_altered.py", "config.ini.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "model_dir", str(models))
    config.set("monitoring", "data_dir", str(data))
    return config


@pytest.fixture(scope="module")
def prepared_real(tmp_path_factory):
    """prep.main() on the real South German Credit file from ../shared (skip when absent)."""
    if not SHARED_FILE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED_FILE} is required in CI")
        pytest.skip(f"reference file not available: {SHARED_FILE}")
    import prep

    base = tmp_path_factory.mktemp("prepared-real")
    prep.main(0, raw_file=SHARED_FILE, data_dir=base / "data", model_dir=base / "models")
    return {"data": base / "data", "models": base / "models"}


#: The SDK notebooks; 06 (charts and report) is tested with the report.
SDK_NOTEBOOKS = NOTEBOOKS[:5]


@pytest.mark.parametrize("data", ["synthetic", "real"])
def test_notebooks_run_and_every_scenario_trips_exactly_its_declared_checks(
        data, prepared, request, tmp_path, restore_storage):
    source = prepared if data == "synthetic" else request.getfixturevalue("prepared_real")
    _clone(tmp_path, source["models"], source["data"])
    written = run_notebooks(tmp_path, "executed", names=SDK_NOTEBOOKS)
    assert [p.name for p in written] == list(SDK_NOTEBOOKS)
    printed = {p.name: _printed(p) for p in written}
    assert "No scenario generated yet: generated the default one" in printed[NOTEBOOKS[1]]
    assert "CompletedWithViolations" in printed[NOTEBOOKS[1]]  # default: amount drifted
    assert "checking scenario 'default'" in printed[NOTEBOOKS[2]]  # not regenerated
    assert "No scenario generated yet" not in printed[NOTEBOOKS[2]]
    assert "every scenario as expected: True" in printed[NOTEBOOKS[4]]
    config = Config(tmp_path / "config.ini")
    for key, location in config.items("BASELINES").items():
        assert location == "" or location.startswith("s3://"), key  # as in the original
    observed = _observed(config)
    assert set(observed) == set(generate_altered.SCENARIOS)
    assert all(not names for names in observed["control"].values())
    for name, scenario in generate_altered.SCENARIOS.items():
        for check in CHECKS:
            found = observed[name][check]
            if check in scenario.expected:
                assert found and set(scenario.expected[check]) <= found, (name, check, found)
            else:
                assert not found, (name, check, found)
    assert str(tmp_path) not in (tmp_path / "config.ini").read_text()  # nothing absolute


def _printed(executed: Path) -> str:
    notebook = json.loads(executed.read_text())
    return "".join(text for c in notebook["cells"] for o in c.get("outputs", [])
                   for text in o.get("text", []))


def _observed(config: Config) -> dict[str, dict[str, set[str]]]:
    """Violated names per scenario and check, read back as the original's 06 did: the trial
    component config.ini names, its parameters, the violations files they point to."""
    from byom_monitor.session.sessions import session_from_config

    client = session_from_config(config)[0].sagemaker_client
    observed = {}
    for scenario in generate_altered.SCENARIOS:
        component = client.describe_trial_component(
            TrialComponentName=config.get_trial(scenario.replace("_", "-")))
        parameters = {name: value["StringValue"]
                      for name, value in component["Parameters"].items()}
        assert parameters["scenario"] == scenario
        observed[scenario] = {}
        for check in CHECKS:
            location = parameters[f"{check}-violations"]
            assert storage.exists(parameters[f"{check}-analysis"])
            violations = json.loads(storage.read_text(location))["violations"] if location else []
            assert int(parameters[f"{check}-violation-count"]) == len(violations)
            key = "feature_name" if check == "data-quality" else "metric_name"
            observed[scenario][check] = {v[key] for v in violations}
    return observed


def test_a_missing_notebook_is_a_clear_failure(tmp_path, capsys):
    assert main(["--folder", str(tmp_path)]) == 1
    assert "notebook not found" in capsys.readouterr().err


def test_a_failing_notebook_shows_the_exception_and_its_last_frames(tmp_path, capsys):
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def inner():\n    raise ValueError('bad column amount')\ninner()")])
    nbformat.write(notebook, tmp_path / "broken.ipynb")
    with pytest.raises(NotebookFailed) as failure:
        run_notebooks(tmp_path, "executed", names=("broken.ipynb",))
    text = str(failure.value)
    assert text.startswith("broken.ipynb: ValueError: bad column amount")
    assert "inner()" in text and "\x1b[" not in text


def test_failure_text_without_a_traceback():
    assert failure_text("x.ipynb", KeyError("k")) == "x.ipynb: KeyError: "


@pytest.mark.parametrize("profile", ["nonexistent", ""])
def test_notebooks_run_with_a_broken_aws_profile(profile, prepared, tmp_path, monkeypatch,
                                                 restore_storage):
    """`make example`'s runner works when AWS_PROFILE names no profile or is empty."""
    monkeypatch.setenv("AWS_PROFILE", profile)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    _clone(tmp_path, prepared["models"], prepared["data"])
    written = run_notebooks(tmp_path, "executed", names=NOTEBOOKS[:2])
    assert "CompletedWithViolations" in _printed(written[1])


def test_a_configured_aws_profile_is_kept(tmp_path):
    (tmp_path / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    environment = {"AWS_PROFILE": "dev", "AWS_CONFIG_FILE": str(tmp_path / "config"),
                   "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    assert kernel_environment(environment)["AWS_PROFILE"] == "dev"
    assert "AWS_PROFILE" not in kernel_environment({**environment, "AWS_PROFILE": "other"})


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets")
def test_kernels_listen_on_private_sockets_and_get_the_numpy_setting(tmp_path, capfd):
    """No TCP ports (and no warning that their traffic is unencrypted); the kernel sees the
    environment kernel_environment made, numpy's kernel choice included."""
    import nbformat

    probe = ("import json, os\n"
             "print(json.dumps({'connection': open(__import__('ipykernel.connect').connect"
             ".get_connection_file()).read(), 'numpy': os.environ.get('NPY_DISABLE_CPU_FEATURES')}))")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)]),
                   tmp_path / "probe.ipynb")
    written = run_notebooks(tmp_path, "executed", names=("probe.ipynb",))
    seen = json.loads(nbformat.read(written[0], as_version=4).cells[0].outputs[0]["text"])
    assert json.loads(seen["connection"])["transport"] == "ipc"
    assert seen["numpy"] == kernel_environment().get("NPY_DISABLE_CPU_FEATURES")
    assert "without encryption" not in capfd.readouterr().err
