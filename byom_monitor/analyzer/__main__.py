"""``python -m byom_monitor.analyzer``: the Model Monitor analyzer as a command.

It reads its job from environment variables, exactly as the ``sagemaker-model-monitor-analyzer``
container does (``dataset_format``, ``dataset_source``, ``output_path``,
``baseline_constraints``, ``baseline_statistics``, ``publish_cloudwatch_metrics``, ...), so it
runs unchanged in a container or a batch system. ``--env KEY=VALUE`` sets or overrides one.
Exit status 0 for Completed and CompletedWithViolations, 1 for Failed; the status line goes to
standard error and to the message file.
"""
from __future__ import annotations

import argparse
import os
import sys

from byom_monitor.io.numpy_kernels import prefer_avx2_on_zen4

prefer_avx2_on_zen4()  # before numpy loads: it reads its CPU settings once

from byom_monitor.analyzer.contract import METRICS_DIR, run_job  # noqa: E402
from byom_monitor.analyzer.outcome import MESSAGE_FILE  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m byom_monitor.analyzer",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
        epilog="Example: dataset_source=data/train.csv output_path=out "
               "dataset_format='{\"csv\": {\"header\": true}}' python -m byom_monitor.analyzer")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="set an environment variable of the job (repeatable)")
    parser.add_argument("--message-file", default=MESSAGE_FILE,
                        help=f"where the status line goes (default {MESSAGE_FILE})")
    parser.add_argument("--metrics-dir", default=METRICS_DIR,
                        help=f"where CloudWatch metric files go (default {METRICS_DIR})")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--env takes KEY=VALUE, got {item!r}")
        env[key] = value
    outcome = run_job(env, message_file=args.message_file, metrics_dir=args.metrics_dir)
    print(outcome.message, file=sys.stderr)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
