"""``python -m byom_monitor.clarify``: the Clarify analyzer as a command.

With no options it obeys the container contract: the analysis config from
/opt/ml/processing/input/config/analysis_config.json, the data from
/opt/ml/processing/input/data, results to /opt/ml/processing/output, and a check against the
file named by the ``baseline_constraints`` environment variable. The options point it elsewhere.
Predictors are resolved through the ``[predictors]`` section of config.ini.
Exit status 0 for Completed and CompletedWithViolations, 1 for Failed.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from byom_monitor.analyzer.outcome import MESSAGE_FILE
from byom_monitor.clarify.job import CONFIG_PATH, DATA_PATH, OUTPUT_PATH, ClarifyJob, run_clarify
from byom_monitor.io.config import Config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m byom_monitor.clarify",
                                     description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("--analysis-config", default=CONFIG_PATH)
    parser.add_argument("--data", default=DATA_PATH, help="dataset file or folder")
    parser.add_argument("--output", default=OUTPUT_PATH, help="folder for analysis.json")
    parser.add_argument("--baseline-constraints", default=os.environ.get("baseline_constraints"),
                        help="baseline analysis.json to check against (env baseline_constraints)")
    parser.add_argument("--config-ini", default="config.ini",
                        help="config.ini with the [predictors] section (default ./config.ini)")
    parser.add_argument("--message-file", default=MESSAGE_FILE)
    args = parser.parse_args(argv)
    predictors = Config(args.config_ini).predictors if Path(args.config_ini).exists() else {}
    job = ClarifyJob(args.analysis_config, args.data, args.output, args.baseline_constraints,
                     predictors)
    outcome = run_clarify(job, message_file=args.message_file)
    print(outcome.message, file=sys.stderr)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
