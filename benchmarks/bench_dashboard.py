"""Benchmark: the dashboard's page times on a store of a year of hourly executions.

Generates (once, into --store, default a temporary folder) four hourly schedules with 365 days
of executions each (8,760 per schedule), a year of per-minute endpoint metrics (525,600 rows),
alert deliveries and scenario runs (tests/live/dashboard/generated_store.py), serves the dashboard on
127.0.0.1 and times every page over HTTP: the first request of each page on a server that has
not warmed up (``cold``: nothing cached), and the median and worst of five requests on a server
after its start-up warm-up (the per-day metrics of a year, the scenario charts), and the CPU
time of a request handled in-process (the page's own work, whatever else loads the machine).

    python benchmarks/bench_dashboard.py [--store FOLDER] [--days 365]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote
from wsgiref.util import setup_testing_defaults

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "live" / "dashboard")]

from generated_store import END, ENDPOINT, SCHEDULES, generate_store

from byom_monitor.example.scenario_runs import scenario_runs_page
from byom_monitor.io.config import Config
from byom_monitor.live.dashboard.app import DashboardApp, stop
from byom_monitor.live.server import serve

LIMIT_MS = 300.0


def pages() -> dict[str, str]:
    last = quote(END.isoformat(), safe="")
    middle = quote(END.replace(month=7).isoformat(), safe="")
    found = {"overview": "/", "alerts": "/alerts", "alerts, page 20": "/alerts?page=20",
             "scenario runs": "/scenarios"}
    for name in SCHEDULES:
        found[f"{name} (30 days)"] = f"/schedules/{name}"
        found[f"{name} (365 days)"] = f"/schedules/{name}?range=365d"
        found[f"{name}, executions of July"] = f"/schedules/{name}?range=7d&before={middle}"
        found[f"{name}, an execution"] = f"/schedules/{name}/executions/{last}"
    for span in ("1d", "7d", "30d"):
        found[f"endpoint ({span})"] = f"/endpoints/{ENDPOINT}?range={span}"
    return found


def get_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as answer:
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"{url}: HTTP {answer.status}")
    return (time.perf_counter() - started) * 1000


def cpu_ms(app: DashboardApp, path: str) -> float:
    """CPU time of one request handled in this thread (the work of the page, whatever else
    runs on the machine)."""
    route, _, query = path.partition("?")
    environ = {"PATH_INFO": route, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    started = time.thread_time()
    b"".join(app(environ, lambda status, headers: None))
    return (time.thread_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    folder = args.store or Path(tempfile.mkdtemp(prefix="byom-dashboard-bench-"))
    if not (folder / "monitor.sqlite").exists():
        started = time.perf_counter()
        generate_store(folder, days=args.days)
        print(f"generated {folder} in {time.perf_counter() - started:.0f} s "
              f"({(folder / 'monitor.sqlite').stat().st_size / 2**20:.0f} MiB SQLite)")
    config = Config(folder / "config.ini")
    cold_app, warm_app = (DashboardApp(config, extra_pages=(scenario_runs_page(),))
                          for _ in range(2))
    servers = [serve(cold_app, "127.0.0.1", 0), serve(warm_app, "127.0.0.1", 0)]
    cold_base, warm_base = (f"http://127.0.0.1:{s.server_port}" for s in servers)
    try:
        cold = {name: get_ms(cold_base + path) for name, path in pages().items()}
        started = time.perf_counter()
        warm_app.warm().join()
        print(f"background warm-up at start (a year of daily metrics of every schedule, the "
              f"scenario charts): {time.perf_counter() - started:.1f} s")
        warm = {name: [get_ms(warm_base + path) for _ in range(5)]
                for name, path in pages().items()}
        cpu = {name: statistics.median(cpu_ms(warm_app, path) for _ in range(5))
               for name, path in pages().items()}
    finally:
        for server in servers:
            stop(server)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'page (milliseconds)':48s} {'cold':>7s} {'median':>7s} {'worst':>7s} {'CPU':>7s}")
    for name in pages():
        median, worst = statistics.median(warm[name]), max(warm[name])
        flag = "" if worst < LIMIT_MS else f"  over {LIMIT_MS:.0f} ms"
        print(f"{name:48s} {cold[name]:7.1f} {median:7.1f} {worst:7.1f} {cpu[name]:7.1f}{flag}")


if __name__ == "__main__":
    main()
