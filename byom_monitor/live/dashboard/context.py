"""What every view reads from: the store's SQLite file, the result documents (cached while
unchanged) and the baselines that config.ini names."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from byom_monitor.io.config import Config, ConfigError
from byom_monitor.live.dashboard.documents import DocumentCache, Loaded
from byom_monitor.live.dashboard.store import StoreReader

#: the ranges a chart can show, back from the newest record
RANGES = {"7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90),
          "365d": timedelta(days=365)}
#: up to this range a chart has one point per execution; beyond, one per day
PER_EXECUTION_LIMIT = timedelta(days=31)
#: the newest days of a schedule, always read again (not taken from the per-day cache)
RECOMPUTED_DAYS = 2


Series = dict[str, list[tuple[str, float, float]]]


class DailyMetrics:
    """Per day, the lowest and highest value of every metric of a schedule's executions, kept
    and recomputed only for days whose executions changed (count or newest row) and for the
    newest days: a year of hourly executions is read once, not on every request."""

    def __init__(self) -> None:
        self._days: dict[tuple[str, str], tuple[tuple, dict[str, tuple[float, float]]]] = {}
        self._lock = threading.Lock()

    def series(self, reader: StoreReader, schedule: str, since: str, names: tuple[str, ...],
               prefixes: tuple[str, ...]) -> Series:
        """``metric -> [(day, lowest, highest)]`` for the named and prefixed metrics."""
        prints = reader.day_fingerprints(schedule, since)
        recent = sorted(prints)[-RECOMPUTED_DAYS:]  # rows of running windows change in place
        with self._lock:
            stale = [day for day, mark in prints.items()
                     if day in recent or self._days.get((schedule, day), ((),))[0] != mark]
        fresh = reader.daily_extremes(schedule, stale)
        with self._lock:
            self._days.update({(schedule, day): (prints[day], fresh[day]) for day in stale})
            days = [(day, self._days[schedule, day][1]) for day in sorted(prints)]
        series: Series = {}
        for day, extremes in days:
            for name, (low, high) in extremes.items():
                if name in names or name.startswith(prefixes):
                    series.setdefault(name, []).append((day, low, high))
        return series


@dataclass
class Context:
    config: Config
    reader: StoreReader
    cache: DocumentCache = field(default_factory=DocumentCache)
    daily: DailyMetrics = field(default_factory=DailyMetrics)

    def metric_series(self, schedule: str, since: str, range_name: str,
                      names: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> Series:
        """``metric -> [(moment, lowest, highest)]``: one point per execution up to
        :data:`PER_EXECUTION_LIMIT`, one per day beyond."""
        if RANGES[range_name] > PER_EXECUTION_LIMIT:
            return self.daily.series(self.reader, schedule, since, names, prefixes)
        return {name: [(moment, value, value) for moment, value in points] for name, points
                in self.reader.metric_series(schedule, since, names, prefixes).items()}

    @classmethod
    def from_config(cls, config: Config) -> Context:
        return cls(config, StoreReader(config.database))

    def baseline(self, key: str) -> Loaded:
        """A baseline document of config.ini ``[BASELINES]``, or why it is not available."""
        try:
            location = self.config.get_baseline(key)
        except (ConfigError, LookupError):
            location = None
        if not location:
            return Loaded(None, problem=f"config.ini has no baseline {key}")
        return self.cache.load(location, f"baseline {key}")


def since(newest: str, range_name: str) -> str:
    """The ISO time ``range_name`` before ``newest`` (in the store's own text form)."""
    moment = datetime.fromisoformat(newest) - RANGES[range_name]
    return moment.isoformat()
