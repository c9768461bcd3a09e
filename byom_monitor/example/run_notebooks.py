"""Run the example's notebooks headless, in order, and keep the executed copies.

``python -m byom_monitor.example.run_notebooks`` executes ``01_*.ipynb`` ... ``06_*.ipynb`` from the
current folder with nbclient and writes the executed copies (with outputs) to
``results/notebooks/``, so the committed notebooks stay free of outputs. The first failing cell
stops the run with the notebook's name, the exception and the last frames of its traceback.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from byom_monitor.io.numpy_kernels import prefer_avx2_on_zen4

NOTEBOOKS = (
    "01_create_baselines.ipynb",
    "02_data_quality.ipynb",
    "03_model_quality.ipynb",
    "04_bias_explainability.ipynb",
    "05_orchestrate_drift.ipynb",
    "06_evaluate_results.ipynb",
)
TRACEBACK_LINES = 12
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NotebookFailed(RuntimeError):
    """A cell of a notebook raised; the message holds the exception and its last frames."""


def kernel_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The kernels' environment: without an ``AWS_PROFILE`` that is empty or names no
    configured profile. Importing the SageMaker SDK fails on such a profile, and the example
    takes its AWS profile from config.ini, so the local backend never depends on it. On AMD
    Zen 4, numpy's AVX2 kernels, as for the command-line programs."""
    environment = dict(os.environ if environ is None else environ)
    environment.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")  # the SDK's v3 notice per class
    prefer_avx2_on_zen4(environment)
    profile = environment.get("AWS_PROFILE")
    if profile is not None and profile not in _configured_profiles(environment):
        del environment["AWS_PROFILE"]
        print(f"note: AWS_PROFILE={profile!r} names no configured profile; the notebooks run "
              f"without it (config.ini's [aws-settings] profilename chooses the AWS profile)",
              flush=True)
    return environment


def _configured_profiles(environment: dict[str, str]) -> set[str]:
    import configparser

    profiles = set()
    home = Path(environment.get("HOME", "~")).expanduser()
    for variable, default, prefix in (("AWS_CONFIG_FILE", home / ".aws" / "config", "profile "),
                                      ("AWS_SHARED_CREDENTIALS_FILE",
                                       home / ".aws" / "credentials", "")):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(Path(environment.get(variable, str(default))).expanduser())
        except configparser.Error:
            continue
        profiles.update(s.removeprefix(prefix) if s.startswith(prefix) else s
                        for s in parser.sections())
    return profiles


def failure_text(name: str, error: Exception) -> str:
    """``<notebook>: <exception>: <message>`` and the last lines of the traceback."""
    ename, evalue = getattr(error, "ename", type(error).__name__), getattr(error, "evalue", "")
    lines = _ANSI.sub("", str(getattr(error, "traceback", "") or "")).strip().splitlines()
    tail = "\n".join("    " + line for line in lines[-TRACEBACK_LINES:])
    headline = f"{name}: {ename}: {evalue}"
    return f"{headline}\n  last frames:\n{tail}" if tail else headline


def run_notebooks(folder: str | Path = ".", output_dir: str | Path = "results/notebooks",
                  names: tuple[str, ...] = NOTEBOOKS, timeout: int = 1800) -> list[Path]:
    """Execute the notebooks with ``folder`` as working directory; returns the executed copies."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    folder, output_dir = Path(folder).resolve(), Path(output_dir)
    if not output_dir.is_absolute():
        output_dir = folder / output_dir
    missing = [name for name in names if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(f"notebook not found: {folder / missing[0]} (run from the "
                                f"example's folder, or give --folder)")
    output_dir.mkdir(parents=True, exist_ok=True)
    environment = kernel_environment()
    written = []
    with tempfile.TemporaryDirectory(prefix="byom-kernels-") as sockets:
        for name in names:
            notebook = nbformat.read(folder / name, as_version=4)
            client = NotebookClient(notebook, timeout=timeout, resources={"metadata": {
                "path": str(folder)}}, **_kernel(Path(sockets)))
            started = time.perf_counter()
            target = output_dir / name
            try:
                client.execute(env=environment)
            except CellExecutionError as exc:
                raise NotebookFailed(failure_text(name, exc)
                                     + f"\n  executed copy: {target}") from None
            finally:
                nbformat.write(notebook, target)
            print(f"{name}: ran in {time.perf_counter() - started:.1f} s -> {target}", flush=True)
            written.append(target)
    return written


def _kernel(sockets: Path) -> dict[str, Any]:
    """The kernel to run a notebook on: where Unix sockets exist, one reached through sockets
    in ``sockets`` (a private folder) rather than TCP ports that any local user could reach
    (over TCP the kernel also warns that its traffic is not encrypted)."""
    if os.name != "posix":
        return {"kernel_name": "python3"}
    from jupyter_client.manager import KernelManager

    return {"km": KernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "kernel"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", default=".", help="folder holding the notebooks")
    parser.add_argument("--output-dir", default="results/notebooks",
                        help="where the executed copies go (relative to --folder)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        written = run_notebooks(args.folder, args.output_dir)
    except (NotebookFailed, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    print(f"Executed notebooks (tables, plots): {written[-1].parent}")
    print(f"Report: {_report_location(Path(args.folder))}")
    print("Result files (baselines, checks, datasets): the [monitoring] store of config.ini, "
          "results/ by default")
    return 0


def _report_location(folder: Path) -> str:
    from byom_monitor.io.config import Config

    config_file = folder / "config.ini"
    store = Config(config_file).store if config_file.exists() else str(folder / "results")
    return f"{store.rstrip('/')}/report/report.html"


if __name__ == "__main__":
    sys.exit(main())
