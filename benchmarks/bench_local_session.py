"""Benchmark: the in-process SageMaker session's overhead per job.

For the example's data-quality baseline (data/train_data_no_target.csv) it times the same
analysis run directly (``analyzer.contract.run_job``) and through the SDK on the local session
(``DefaultModelMonitor.suggest_baseline``: S3 upload, CreateProcessingJob, staging, the job
process, publishing, describe); the difference is what the session adds per job. Then a
Clarify bias baseline through the session, calling the example's model as a SageMaker Model.

Run ``python prep.py`` first.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")


def main(repeats: int = 3) -> None:
    from byom_monitor.analyzer.contract import run_job
    from byom_monitor.session.sagemaker_model import create_models
    from byom_monitor.session.sessions import session_from_config

    data = ROOT / "data" / "train_data_no_target.csv"
    if not data.exists():
        raise SystemExit("run python prep.py first")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        session, role, bucket = session_from_config(str(Path(folder) / "config.ini"))
        print(f"session_from_config (imports the SDK): {time.perf_counter() - started:.2f} s")
        direct, through = [], []
        for i in range(repeats):
            started = time.perf_counter()
            run_job({"dataset_format": json.dumps({"csv": {"header": True}}),
                     "dataset_source": str(data), "output_path": f"{folder}/direct{i}"},
                    message_file=None, metrics_dir=f"{folder}/metrics")
            direct.append(time.perf_counter() - started)
            started = time.perf_counter()
            _suggest_baseline(session, role, bucket, data, i)
            through.append(time.perf_counter() - started)
        print(f"data-quality baseline, direct:       {_figures(direct)}")
        print(f"data-quality baseline, via session:  {_figures(through)}")
        print(f"session overhead per job (median):   "
              f"{sorted(through)[repeats // 2] - sorted(direct)[repeats // 2]:.2f} s")
        create_models(ROOT / "models", session, role, f"s3://{bucket}/models/model.tar.gz",
                      names=("e2e-model-bias",))
        started = time.perf_counter()
        _bias_baseline(session, role, bucket)
        print(f"Clarify bias baseline via session (model served in script mode): "
              f"{time.perf_counter() - started:.2f} s")


def _figures(seconds: list[float]) -> str:
    return f"median {sorted(seconds)[len(seconds) // 2]:.2f} s (min {min(seconds):.2f} s)"


def _suggest_baseline(session, role: str, bucket: str, data: Path, index: int) -> None:
    from sagemaker.model_monitor import DatasetFormat, DefaultModelMonitor

    uri = session.upload_data(str(data), bucket, f"bench/dq{index}/input")
    DefaultModelMonitor(role=role, sagemaker_session=session).suggest_baseline(
        baseline_dataset=uri, dataset_format=DatasetFormat.csv(header=True),
        output_s3_uri=f"s3://{bucket}/bench/dq{index}/output", wait=True, logs=False)


def _bias_baseline(session, role: str, bucket: str) -> None:
    import pandas as pd
    from sagemaker import clarify
    from sagemaker.model_monitor import ModelBiasMonitor

    train = ROOT / "data" / "train.csv"
    uri = session.upload_data(str(train), bucket, "bench/bias/input")
    ModelBiasMonitor(role=role, sagemaker_session=session).suggest_baseline(
        data_config=clarify.DataConfig(
            s3_data_input_path=uri, s3_output_path=f"s3://{bucket}/bench/bias/output",
            label="credit_risk", headers=list(pd.read_csv(train, nrows=0).columns),
            dataset_type="text/csv"),
        model_config=clarify.ModelConfig(model_name="e2e-model-bias", instance_count=1,
                                         instance_type="ml.m5.large",
                                         content_type="text/csv", accept_type="text/csv"),
        bias_config=clarify.BiasConfig(label_values_or_threshold=[1],
                                       facet_name="foreign_worker",
                                       facet_values_or_threshold=[1]),
        wait=True, logs=False)


if __name__ == "__main__":
    main()
