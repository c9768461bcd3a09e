"""Benchmark: the big scenario (``bias_drift``, about 100,000 rows) through all four checks,
and what one explained row costs.

In a fresh folder (or ``--folder``, reused when notebook 01 already ran there): ``prep.py``,
notebook 01 headless (baselines and the SageMaker Models), ``generate_altered.main("bias_drift")``,
then ``checks.run_check`` for each check on the in-process SageMaker session, as notebook 05
runs them: seconds per check, best of ``--runs`` (the explainability check explains its seeded
sample; drawing the sample is included). Then:

- the served model's time per prediction through the session's script-mode serving (the
  ``e2e-model`` archive and ``inference.py``, CSV in and out), in requests of 100 rows (one
  explained row's Kernel SHAP coalitions) and of 1,000 rows;
- how close the sample's global attributions come to those of every row (the same Kernel SHAP,
  in-process): nDCG of the sample's ranking against all rows', and the largest difference;
- the SageMaker arithmetic of ``byom_monitor/session/job_limits.py`` with the measured figure.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "bias_drift"
#: The real South German Credit file when ../shared has it (else prep.py draws synthetic data).
REAL_DATA = ROOT.parent / "shared" / "data" / "SouthGermanCredit.asc"
#: Assumed, not measured: see the module docstring of byom_monitor/session/job_limits.py.
ROUND_TRIP_SECONDS = 0.010        # one endpoint request (one explained row's coalitions)
EXPLAINER_SECONDS_PER_ROW = 0.087  # shap's KernelExplainer, 100 coalitions (README: 87 s / 1,000 rows)
STARTUP_SECONDS = 600             # processing instance and shadow endpoint


def prepared_folder(folder: Path) -> None:
    """prep.py and notebook 01 in ``folder`` (skipped when its config.ini has the baselines)."""
    from byom_monitor.example.run_notebooks import run_notebooks
    from byom_monitor.io.config import Config

    if (folder / "config.ini").exists() and Config(folder / "config.ini").items("BASELINES"):
        print(f"reusing the baselines in {folder}")
        return
    for name in ["01_create_baselines.ipynb", "prep.py", "generate_altered.py",
                 "config.ini.example"]:
        shutil.copy(ROOT / name, folder / name)
    if REAL_DATA.exists():
        (folder / "data" / "raw").mkdir(parents=True, exist_ok=True)
        shutil.copy(REAL_DATA, folder / "data" / "raw" / REAL_DATA.name)
    clock = time.perf_counter()
    subprocess.run([sys.executable, "prep.py"], cwd=folder, check=True, capture_output=True)
    run_notebooks(folder, "executed", names=("01_create_baselines.ipynb",))
    print(f"prep.py and notebook 01: {time.perf_counter() - clock:.1f} s; "
          f"{(folder / 'data' / 'SOURCE.txt').read_text().strip()}")


def time_checks(config, session, role: str, bucket: str, runs: int) -> dict[str, float]:
    """Best-of-``runs`` seconds of each check on the current datasets."""
    from byom_monitor.example import checks

    seconds = {}
    for check in checks.CHECKS:
        times = []
        for _ in range(runs):
            clock = time.perf_counter()
            result = checks.run_check(config, session, role, bucket, check)
            times.append(time.perf_counter() - clock)
        seconds[check] = min(times)
        print(f"  {check}: {seconds[check]:.1f} s ({result.status}, "
              f"{len(result.violations)} violation(s))")
    return seconds


def served_model(config, session, folder: Path):
    """The explainability check's model as the local session serves it (script mode)."""
    from byom_monitor.example import checks
    from byom_monitor.io import storage
    from byom_monitor.session.local_sagemaker.serving import served_predictor
    from byom_monitor.session.local_sagemaker.store import ResourceStore

    uri = checks.baseline(config, "model-explainability-analysis_config")
    analysis = json.loads(storage.read_text(uri))
    return analysis, served_predictor(analysis, ResourceStore(config.database), session.s3_path,
                                      Path(tempfile.mkdtemp(prefix="served-", dir=folder)))


def seconds_per_prediction(predictor, features, rows: int, requests: int,
                           blocks: int = 5) -> float:
    """The fastest of ``blocks`` runs of ``requests`` requests of ``rows`` rows each (the
    machine may be shared), per predicted row."""
    batch = features.sample(n=rows, replace=True, random_state=0)
    predictor.predict(batch)  # loads the model
    times = []
    for _ in range(blocks):
        clock = time.perf_counter()
        for _ in range(requests):
            predictor.predict(batch)
        times.append(time.perf_counter() - clock)
    return min(times) / (requests * rows)


def attribution_agreement(analysis: dict, predictor, full, sample) -> tuple[float, float]:
    """nDCG of the sample's feature ranking against all rows' and the largest absolute
    difference of a global attribution, relative to the largest attribution."""
    from byom_monitor.clarify.analysis import shap_report
    from byom_monitor.clarify.checks import ndcg
    from byom_monitor.clarify.config import AnalysisConfig

    config = AnalysisConfig.from_dict(analysis)

    def global_values(frame) -> dict[str, float]:
        return shap_report(frame, config, predictor, None)["kernel_shap"]["label0"][
            "global_shap_values"]

    every, sampled = global_values(full), global_values(sample)
    largest = max(every.values())
    return ndcg(every, sampled), max(abs(every[f] - sampled[f]) for f in every) / largest


def sagemaker_estimate(rows: int, predictions_per_row: int, per_prediction: float) -> float:
    """Seconds of the explainability job on SageMaker, from the assumptions above."""
    per_row = EXPLAINER_SECONDS_PER_ROW + ROUND_TRIP_SECONDS + predictions_per_row * per_prediction
    return STARTUP_SECONDS + rows * per_row


def measure(folder: Path, runs: int) -> None:
    import pandas as pd

    import generate_altered
    from byom_monitor.example import checks
    from byom_monitor.io import storage
    from byom_monitor.session.job_limits import max_runtime
    from byom_monitor.session.sessions import session_from_config

    os.chdir(folder)
    prepared_folder(folder)
    config = generate_altered.open_config(folder / "config.ini")
    session, role, bucket = session_from_config(config)
    generate_altered.main(SCENARIO, config=config, session=session)
    full = pd.read_csv(io.BytesIO(storage.read_bytes(
        checks.dataset(config, "model-explainability"))))
    sample = checks.explainability_sample(config)
    print(f"{SCENARIO}: {len(full):,} rows; the explainability check explains {sample.rows:,} "
          f"of them (seed 0). Seconds per check (best of {runs}, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    seconds = time_checks(config, session, role, bucket, runs)
    print(f"  all four: {sum(seconds.values()):.1f} s")

    analysis, predictor = served_model(config, session, folder)
    features = full.drop(columns="credit_risk")
    per_100 = seconds_per_prediction(predictor, features, 100, 50)
    per_1000 = seconds_per_prediction(predictor, features, 1000, 10)
    shap = analysis["methods"]["shap"]
    predictions_per_row = shap["num_samples"] * len(shap["baseline"])
    print(f"served model (script mode, local): {per_100 * 1e6:.1f} us per prediction in requests "
          f"of 100 rows, {per_1000 * 1e6:.1f} us in requests of 1,000; one explained row = "
          f"{shap['num_samples']} coalitions x {len(shap['baseline'])} baseline row(s) = "
          f"{predictions_per_row} predictions = {predictions_per_row * per_100 * 1e3:.1f} ms")

    sampled = pd.read_csv(io.BytesIO(storage.read_bytes(sample.location)))
    rank, difference = attribution_agreement(analysis, predictor, full, sampled)
    print(f"global attributions of the sample against all {len(full):,} rows: nDCG {rank:.4f}, "
          f"largest difference {difference:.1%} of the largest attribution")

    limit = max_runtime("model-explainability")
    print(f"SageMaker estimate (assumed: {EXPLAINER_SECONDS_PER_ROW * 1e3:.0f} ms explainer + "
          f"{ROUND_TRIP_SECONDS * 1e3:.0f} ms request per row, {STARTUP_SECONDS} s startup; "
          f"limit {limit} s):")
    for label, rows in ((f"the sample ({sample.rows:,} rows)", sample.rows),
                        (f"every row ({len(full):,})", len(full)),
                        ("the original's 500,000 rows", 500_000)):
        estimate = sagemaker_estimate(rows, predictions_per_row, per_100)
        print(f"  {label}: {estimate:,.0f} s ({'fits' if estimate <= 1800 else 'over'} 1800 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="best of this many runs per check")
    parser.add_argument("--folder", type=Path,
                        help="work here (kept; notebook 01 is not run again)")
    args = parser.parse_args()
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    sys.path.insert(0, str(ROOT))  # generate_altered, prep
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
        measure(args.folder.resolve(), args.runs)
        return
    with tempfile.TemporaryDirectory(prefix="byom-big-scenario-") as folder:
        measure(Path(folder), args.runs)


if __name__ == "__main__":
    main()
