"""Benchmark: one scheduler tick (``run_due``) for an hourly schedule created a year ago whose
8,760 windows have all run, so the tick only has to find that nothing is due.

Prints the seconds of one tick (median of 5) and of listing a year of hourly firings.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from byom_monitor.io.config import Config
    from byom_monitor.live.schedule import (
        Cron,
        ExecutionRecord,
        Schedule,
        Scheduler,
        ScheduleStore,
    )

    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    created = now - timedelta(days=365)
    cron = Cron.parse("cron(0 * ? * * *)")
    started = time.perf_counter()
    firings = cron.between(created, now)
    listing = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        config = Config(Path(folder, "config.ini"))
        store = ScheduleStore(config.database)
        store.create(Schedule("hourly", "data-quality", cron.expression, "ep", "capture",
                              created=created.isoformat()))
        for moment in firings:
            store.save(ExecutionRecord("hourly", moment.isoformat(), "Completed"))
        scheduler = Scheduler(config, store)
        ticks = []
        for _ in range(5):
            started = time.perf_counter()
            assert scheduler.run_due(now) == []
            ticks.append(time.perf_counter() - started)
    print(f"hourly firings of a year listed: {len(firings)} in {listing * 1000:.1f} ms")
    print(f"run_due tick, schedule created a year ago (all windows done): "
          f"{statistics.median(ticks) * 1000:.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
