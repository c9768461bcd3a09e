"""Bad input is reported as bad input: one line naming the file, key or value (issue 13,
items 12 and 14), never ``internal error`` or a numpy repr."""
import base64
import json

import pandas as pd
import pytest

from byom_monitor.analyzer.contract import run_job

CSV = json.dumps({"csv": {"header": True}})


@pytest.fixture
def data(tmp_path):
    pd.DataFrame({"x": range(50), "c": ["a", "b"] * 25}).to_csv(tmp_path / "d.csv", index=False)
    outcome = run_job({"dataset_source": str(tmp_path / "d.csv"),
                       "output_path": str(tmp_path / "base"), "dataset_format": CSV},
                      message_file=None)
    assert outcome.status == "Completed"
    return tmp_path


def _check(data, statistics=None, constraints=None, **extra):
    env = {"dataset_source": str(data / "d.csv"), "output_path": str(data / "out"),
           "dataset_format": CSV,
           "baseline_statistics": str(statistics or data / "base" / "statistics.json"),
           "baseline_constraints": str(constraints or data / "base" / "constraints.json"),
           **extra}
    outcome = run_job(env, message_file=None)
    assert outcome.status == "Failed" and "internal error" not in outcome.message
    assert not (data / "out").exists()
    return outcome.message


def _edited(data, name, change):
    document = json.loads((data / "base" / name).read_text())
    change(document)
    path = data / f"edited-{name}"
    path.write_text(json.dumps(document))
    return path


def _feature(document, name):
    return next(f for f in document["features"] if f["name"] == name)


def test_structurally_corrupt_baselines_name_the_file_and_entry(data):
    statistics = _edited(data, "statistics.json", lambda d: d["features"][0].pop("name"))
    assert "edited-statistics.json (features[0]): missing key 'name'" in _check(
        data, statistics=statistics)
    constraints = _edited(data, "constraints.json", lambda d: d["features"].append("x"))
    assert "edited-constraints.json: features[2] must be an object" in _check(
        data, constraints=constraints)


def test_a_sketch_with_text_values_names_the_feature(data):
    def text_sketch(document):
        sketch = _feature(document, "x")["numerical_statistics"]["distribution"]["kll"]["sketch"]
        sketch["data"] = [["one", "two"]]

    statistics = _edited(data, "statistics.json", text_sketch)
    message = _check(data, statistics=statistics)
    assert "feature 'x': the KLL sketch holds values that are not numbers" in message


@pytest.mark.parametrize("change, reason", [
    (lambda d: _feature(d, "c").update(completeness="0.9"),
     "feature 'c': completeness must be a number from 0 to 1, got '0.9'"),
    (lambda d: _feature(d, "c").update(completeness=True), "completeness must be a number"),
    (lambda d: _feature(d, "c").update(string_constraints={"domains": "abc"}),
     "feature 'c': string_constraints.domains must be a list of values, got 'abc'"),
    (lambda d: _feature(d, "c").update(string_constraints=["a"]),
     "string_constraints must be an object"),
])
def test_malformed_constraint_values_are_rejected(data, change, reason):
    assert reason in _check(data, constraints=_edited(data, "constraints.json", change))


def test_a_folder_given_for_a_file_is_named(data):
    (data / "folder").mkdir()
    assert f"{data / 'folder'}: is a folder, expected a JSON file" in _check(
        data, constraints=data / "folder")


@pytest.mark.parametrize("header", ['"false"', '"true"', "1", "null"])
def test_header_must_be_a_boolean(data, header):
    env = {"dataset_source": str(data / "d.csv"), "output_path": str(data / "out"),
           "dataset_format": f'{{"csv": {{"header": {header}}}}}'}
    outcome = run_job(env, message_file=None)
    assert outcome.status == "Failed"
    assert ("dataset_format csv header must be true or false (a JSON boolean), got "
            in outcome.message)


def _capture_line(data, when="2024-01-01T10:00:00Z"):
    return json.dumps({"captureData": {
        "endpointInput": {"data": data, "encoding": "BASE64"},
        "endpointOutput": {"data": "0.5", "encoding": "CSV"}},
        "eventMetadata": {"eventId": "e1", "inferenceTime": when}})


def _capture_job(tmp_path, line, **extra):
    (tmp_path / "c.jsonl").write_text(line + "\n")
    env = {"dataset_source": str(tmp_path / "c.jsonl"), "output_path": str(tmp_path / "out"),
           "dataset_format": json.dumps({"sagemakerCaptureJson": {}}), **extra}
    return run_job(env, message_file=None)


def test_bad_base64_names_the_line(tmp_path):
    good = base64.b64encode(b"1,2").decode()
    assert _capture_job(tmp_path, _capture_line(good)).status == "Completed"
    outcome = _capture_job(tmp_path, _capture_line(good[:-1]))
    assert outcome.status == "Failed"
    assert "c.jsonl: line 1: the BASE64 payload is not valid base64" in outcome.message
    assert "internal error" not in outcome.message


@pytest.mark.parametrize("window, reason", [
    ({"start_time": "2024-01-01T09:00:00", "end_time": "2024-01-01T11:00:00Z"},
     "environment variable start_time '2024-01-01T09:00:00' has no time zone"),
    ({"start_time": "2024-01-01T09:00:00Z", "end_time": "2024-01-01T11:00:00Z"}, None),
])
def test_a_naive_window_time_is_an_input_error(tmp_path, window, reason):
    good = base64.b64encode(b"1,2").decode()
    outcome = _capture_job(tmp_path, _capture_line(good), **window)
    if reason is None:
        assert outcome.status == "Completed"
    else:
        assert outcome.status == "Failed" and reason in outcome.message


def test_a_naive_capture_time_names_the_line(tmp_path):
    line = _capture_line(base64.b64encode(b"1,2").decode(), when="2024-01-01T10:00:00")
    outcome = _capture_job(tmp_path, line, start_time="2024-01-01T09:00:00Z",
                           end_time="2024-01-01T11:00:00Z")
    assert outcome.status == "Failed"
    assert ("c.jsonl: line 1: inferenceTime '2024-01-01T10:00:00' has no time zone"
            in outcome.message)


def test_messages_print_plain_numbers(tmp_path):
    pd.DataFrame({"label": [0, 1] * 5, "probability": [1.5] + [0.5] * 9}).to_csv(
        tmp_path / "p.csv", index=False)
    outcome = run_job({"dataset_source": str(tmp_path / "p.csv"),
                       "output_path": str(tmp_path / "out"), "dataset_format": CSV,
                       "analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
                       "probability_attribute": "probability", "ground_truth_attribute": "label"},
                      message_file=None)
    assert outcome.status == "Failed"
    assert "e.g. 1.5" in outcome.message and "np." not in outcome.message
