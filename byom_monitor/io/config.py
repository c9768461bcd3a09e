"""``config.ini``: settings, and result locations handed from one step of the example to the next.

Every write takes an exclusive lock (``flock`` on ``config.ini.lock`` beside the file), re-reads
the file, changes one key and replaces the file atomically, so two processes never lose each
other's keys and an interrupted write never leaves a corrupted file. The file's mode follows
the umask. A missing config.ini is created, but never the folder it should be in.
"""
from __future__ import annotations

import configparser
import fcntl
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from byom_monitor.errors import InputError
from byom_monitor.io import storage

EXAMPLE_NAME = "config.ini.example"

#: The documented defaults; ``config.ini.example`` holds exactly these (a test checks it).
DEFAULTS: dict[str, dict[str, str]] = {
    "aws-settings": {
        "profilename": "",
        "executionrole": "",
        "region": "",
        "bucket": "",
        "prefix": "model-monitor-bring-your-own-model",
    },
    "monitoring": {
        "backend": "local",
        "store": "results",
        "model_dir": "models",
        "data_dir": "data",
        "database": "results/monitor.sqlite",
        "local_s3": "results/s3",
        "capture": "",
    },
    "predictors": {},
    "BASELINES": {},
    "DATASETS": {},
    "EXPERIMENT_TRIALS": {},
}
BACKENDS = ("local", "sagemaker")
#: The SageMaker model names of the original example's analysis configs.
EXAMPLE_MODEL_NAMES = ("e2e-model", "e2e-model-bias")


class ConfigError(InputError):
    """A config file that cannot be read, or a key that is missing or invalid."""


class Config:
    """The settings in one ``config.ini``.

    >>> cfg = Config("config.ini")            # created from config.ini.example if missing
    >>> cfg.backend
    'local'
    >>> cfg.save_baseline("data-quality-statistics", "results/baselines/statistics.json")
    """

    def __init__(self, path: str | os.PathLike = "config.ini") -> None:
        self.path = Path(path).resolve()
        if self.path.is_dir():
            raise ConfigError(f"{self.path}: is a folder; give the path of the config.ini file")
        if not self.path.parent.is_dir():
            raise ConfigError(f"{self.path}: the folder {self.path.parent} does not exist")
        if not self.path.exists():
            with self._locked():
                if not self.path.exists():
                    self._create()
        self._read()  # fail early on a corrupted file

    # -- generic access -------------------------------------------------------------------
    def get(self, section: str, key: str, default: str | None = None) -> str:
        """The value, or ``default``; ConfigError naming file, section and key when absent."""
        parser = self._read()
        if parser.has_option(section, key):
            return parser.get(section, key)
        if default is not None:
            return default
        raise ConfigError(f"{self.path}: no key '{key}' in section [{section}]")

    def set(self, section: str, key: str, value: str) -> None:
        with self._locked():
            parser = self._read()
            if not parser.has_section(section):
                parser.add_section(section)
            parser.set(section, key, str(value))
            self._write(parser)

    def items(self, section: str) -> dict[str, str]:
        parser = self._read()
        return dict(parser.items(section)) if parser.has_section(section) else {}

    # -- settings -------------------------------------------------------------------------
    @property
    def backend(self) -> str:
        backend = self.get("monitoring", "backend", "local").strip().lower()
        if backend not in BACKENDS:
            raise ConfigError(
                f"{self.path}: [monitoring] backend = {backend!r}; expected one of {BACKENDS}"
            )
        return backend

    @property
    def store(self) -> str:
        """Result store root: an ``s3://`` URI, or an absolute local folder."""
        return self._location(self.get("monitoring", "store", "results"))

    @property
    def model_dir(self) -> str:
        return self._location(self.get("monitoring", "model_dir", "models"))

    @property
    def data_dir(self) -> str:
        return self._location(self.get("monitoring", "data_dir", "data"))

    @property
    def database(self) -> str:
        """The SQLite file of recorded runs (always a local file)."""
        value = self.get("monitoring", "database", DEFAULTS["monitoring"]["database"])
        if storage.is_s3(value):
            raise ConfigError(f"{self.path}: [monitoring] database must be a local file, "
                              f"got {value}")
        location = Path(self._location(value))
        blocking = next((p for p in location.parents if p.exists() and not p.is_dir()), None)
        if blocking is not None or location.is_dir():
            raise ConfigError(f"{self.path}: [monitoring] database = {value}: "
                              f"{blocking or location} is a {'file' if blocking else 'folder'}")
        return str(location)

    @property
    def local_s3(self) -> str:
        """The folder holding the local backend's S3 (``s3://bucket/key`` is
        ``<local_s3>/bucket/key``)."""
        value = self.get("monitoring", "local_s3", DEFAULTS["monitoring"]["local_s3"])
        if storage.is_s3(value):
            raise ConfigError(f"{self.path}: [monitoring] local_s3 must be a local folder, "
                              f"got {value}")
        return self._location(value)

    @property
    def capture(self) -> str:
        """The model server's capture destination (its ``--capture``): where the monitoring
        schedules made with the SDK on the local session find an ``EndpointInput``'s traffic."""
        value = self.get("monitoring", "capture", "").strip()
        if not value:
            raise ConfigError(f"{self.path}: [monitoring] capture is not set: name the model "
                              f"server's capture destination (its --capture) to run schedules "
                              f"that watch an endpoint")
        return self._location(value)

    @property
    def aws_profile(self) -> str | None:
        return self.get("aws-settings", "profilename", "").strip() or None

    @property
    def execution_role(self) -> str | None:
        return self.get("aws-settings", "executionrole", "").strip() or None

    @property
    def region(self) -> str | None:
        return self.get("aws-settings", "region", "").strip() or None

    @property
    def bucket(self) -> str | None:
        return self.get("aws-settings", "bucket", "").strip() or None

    @property
    def prefix(self) -> str:
        return self.get("aws-settings", "prefix", DEFAULTS["aws-settings"]["prefix"]).strip("/")

    @property
    def predictors(self) -> dict[str, str]:
        """Model names of analysis configs -> a model folder (absolute) or an http(s) URL.

        The original's model names (``e2e-model``, ``e2e-model-bias``) stand for ``model_dir``
        unless the section says otherwise."""
        model_dir = self.get("monitoring", "model_dir", "models")
        entries = {**{name: model_dir for name in EXAMPLE_MODEL_NAMES}, **self.items("predictors")}
        return {name: value if value.startswith(("http://", "https://"))
                else self._location(value)
                for name, value in entries.items()}

    # -- locations handed between steps -----------------------------------------------------
    # Local locations are kept relative to this file's folder, so the project can move;
    # the getters give them back absolute ("" stays "": no such file).
    def save_baseline(self, key: str, uri: str) -> None:
        self.set("BASELINES", key, self._relative(uri))

    def get_baseline(self, key: str) -> str:
        return self._absolute(self.get("BASELINES", key))

    def save_dataset(self, key: str, uri: str) -> None:
        self.set("DATASETS", key, self._relative(uri))

    def get_dataset(self, key: str) -> str:
        return self._absolute(self.get("DATASETS", key))

    def save_trial(self, scenario: str, run_name: str) -> None:
        self.set("EXPERIMENT_TRIALS", scenario, run_name)

    def get_trial(self, scenario: str) -> str:
        return self.get("EXPERIMENT_TRIALS", scenario)

    # -- internals ------------------------------------------------------------------------
    def _relative(self, value: str) -> str:
        value = str(value)
        if not value or storage.is_s3(value) or not Path(value).is_absolute():
            return value
        try:
            return Path(value).resolve().relative_to(self.path.parent).as_posix()
        except ValueError:  # outside the project: kept absolute
            return value

    def _absolute(self, value: str) -> str:
        if not value or storage.is_s3(value) or Path(value).is_absolute():
            return value
        return str(self.path.parent / value)

    def _location(self, value: str) -> str:
        value = value.strip()
        if storage.is_s3(value):
            return value.rstrip("/")
        return str((self.path.parent / value).resolve())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock of this config.ini across processes, for a read-modify-write."""
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _read(self) -> configparser.ConfigParser:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            text = self.path.read_text(encoding="utf-8")
            parser.read_string(text, source=str(self.path))
        except FileNotFoundError as exc:
            raise ConfigError(f"{self.path}: config file disappeared") from exc
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot be read: {exc.strerror or exc}") from exc
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.path}: not a valid config file: {exc}") from exc
        return parser

    def _write(self, parser: configparser.ConfigParser) -> None:
        buffer = io.StringIO()
        parser.write(buffer)
        storage.write_text(self.path, buffer.getvalue())

    def _create(self) -> None:
        example = self.path.parent / EXAMPLE_NAME
        if example.exists():
            storage.write_bytes(self.path, example.read_bytes())
            return
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_dict(DEFAULTS)
        self._write(parser)
