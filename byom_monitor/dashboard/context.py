"""What every view reads from: the store's SQLite file, the result documents (cached while
unchanged) and the baselines that config.ini names."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..config import Config, ConfigError
from .documents import DocumentCache, Loaded
from .store import StoreReader

#: the ranges a chart can show, back from the newest record
RANGES = {"7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90),
          "365d": timedelta(days=365)}
#: up to this range a chart has one point per execution; beyond, one per day
PER_EXECUTION_LIMIT = timedelta(days=31)


@dataclass
class Context:
    config: Config
    reader: StoreReader
    cache: DocumentCache = field(default_factory=DocumentCache)

    @classmethod
    def from_config(cls, config: Config) -> "Context":
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
