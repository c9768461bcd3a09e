"""A failed analyzer job leaves none of its outputs: full disk, post-analytics script, merge."""
import errno
import json
import os

import pandas as pd
import pytest

from byom_monitor.analyzer.contract import run_job

CSV = json.dumps({"csv": {"header": True}})


@pytest.fixture
def data(tmp_path):
    pd.DataFrame({"x": range(50), "c": ["a", "b"] * 25}).to_csv(tmp_path / "d.csv", index=False)
    return tmp_path


def _env(data, output="out", **extra):
    return {"dataset_source": str(data / "d.csv"), "output_path": str(data / output),
            "dataset_format": CSV, **extra}


def test_a_disk_that_fills_partway_leaves_no_result_file(data, monkeypatch):
    real_fdopen = os.fdopen
    opened = []

    def filling_disk(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        opened.append(handle)
        if len(opened) == 2:  # statistics.json went fine; constraints.json hits a full disk
            def write(_data):
                raise OSError(errno.ENOSPC, "No space left on device")
            handle.write = write
        return handle

    monkeypatch.setattr(os, "fdopen", filling_disk)
    outcome = run_job(_env(data), message_file=str(data / "message"))
    monkeypatch.undo()
    assert outcome.status == "Failed" and "No space left on device" in outcome.message
    assert "constraints.json" in outcome.message and "none" in outcome.message
    assert not (data / "out").exists()
    assert (data / "message").read_text() == outcome.message


@pytest.mark.parametrize("script, reason", [
    (None, "post.py: script not found"),
    ("this is not python\n", "post.py: the script failed to load"),
    ("def other():\n    pass\n", "post.py: the script defines no postprocess_handler()"),
])
def test_an_unusable_post_analytics_script_fails_before_the_analysis(data, script, reason):
    if script is not None:
        (data / "post.py").write_text(script)
    outcome = run_job(_env(data, post_analytics_processor_script=str(data / "post.py")),
                      message_file=None)
    assert outcome.status == "Failed" and reason in outcome.message
    assert not (data / "out").exists()


def test_a_failing_post_analytics_handler_withdraws_the_results(data):
    seen, out = str(data / "seen"), str(data / "out")
    (data / "post.py").write_text(
        "import os\n"
        "def postprocess_handler():\n"
        f"    open({seen!r}, 'w').write(str(sorted(os.listdir({out!r}))))\n"
        "    raise RuntimeError('cannot post-process')\n")
    outcome = run_job(_env(data, post_analytics_processor_script=str(data / "post.py")),
                      message_file=None)
    assert outcome.status == "Failed"
    assert ("post.py: postprocess_handler failed: RuntimeError: cannot post-process"
            in outcome.message)
    assert (data / "seen").read_text() == "['constraints.json', 'statistics.json']"  # it ran after
    assert not list((data / "out").iterdir())


def test_a_failed_model_quality_merge_leaves_no_merge_folder(tmp_path):
    capture = [json.dumps({"captureData": {"endpointOutput": {"data": "0.9", "encoding": "CSV"}},
                           "eventMetadata": {"eventId": f"e{i}",
                                             "inferenceTime": "2024-01-01T10:00:00Z"}})
               for i in range(5)]
    (tmp_path / "capture.jsonl").write_text("\n".join(capture) + "\n")
    labels = [json.dumps({"groundTruthData": {"data": "2", "encoding": "CSV"},  # not 0 or 1
                          "eventMetadata": {"eventId": f"e{i}"}}) for i in range(5)]
    (tmp_path / "truth.jsonl").write_text("\n".join(labels) + "\n")
    env = {"dataset_source": str(tmp_path / "capture.jsonl"), "output_path": str(tmp_path / "out"),
           "dataset_format": json.dumps({"sagemakerCaptureJson": {}}),
           "analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
           "probability_attribute": "0", "ground_truth_source": str(tmp_path / "truth.jsonl")}
    outcome = run_job(env, message_file=None)
    assert outcome.status == "Failed" and "must be 0 or 1" in outcome.message
    assert not (tmp_path / "out").exists()  # no merge/ either
