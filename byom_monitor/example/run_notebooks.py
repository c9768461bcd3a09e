"""Run the example's notebooks headless, in order, and keep the executed copies.

``python -m byom_monitor.example.run_notebooks`` executes ``01_*.ipynb`` ... ``06_*.ipynb`` from the
current folder with nbclient and writes the executed copies (with outputs) to
``results/notebooks/``, so the committed notebooks stay free of outputs. The first failing cell
stops the run with the notebook's name and the cell's error.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

NOTEBOOKS = (
    "01_create_baselines.ipynb",
    "02_data_quality.ipynb",
    "03_model_quality.ipynb",
    "04_bias_explainability.ipynb",
    "05_orchestrate_drift.ipynb",
    "06_evaluate_results.ipynb",
)


def run_notebooks(folder: str | Path = ".", output_dir: str | Path = "results/notebooks",
                  names: tuple[str, ...] = NOTEBOOKS, timeout: int = 1800) -> list[Path]:
    """Execute the notebooks with ``folder`` as working directory; returns the executed copies."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    folder, output_dir = Path(folder).resolve(), Path(output_dir)
    if not output_dir.is_absolute():
        output_dir = folder / output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        source = folder / name
        if not source.exists():
            raise FileNotFoundError(f"notebook not found: {source}")
        notebook = nbformat.read(source, as_version=4)
        client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}})
        started = time.perf_counter()
        try:
            client.execute()
        except CellExecutionError as exc:
            raise RuntimeError(f"{name}: a cell failed:\n{exc}") from None
        finally:
            target = output_dir / name
            nbformat.write(notebook, target)
        print(f"{name}: ran in {time.perf_counter() - started:.1f} s -> {target}", flush=True)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", default=".", help="folder holding the notebooks")
    parser.add_argument("--output-dir", default="results/notebooks",
                        help="where the executed copies go (relative to --folder)")
    args = parser.parse_args(argv)
    try:
        written = run_notebooks(args.folder, args.output_dir)
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\nDone. Executed notebooks (tables, plots): {written[-1].parent}")
    print("Result files (baselines, checks, datasets): the [monitoring] store of config.ini, "
          "results/ by default")
    return 0


if __name__ == "__main__":
    sys.exit(main())
