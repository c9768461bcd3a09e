"""A job's result files, published together or not at all (spec section K: no partial outputs).

Files are collected in memory while the job computes. :meth:`StagedOutput.publish` first writes
every file under a temporary name beside its target (this is where a full disk shows up), and
only when all are written renames them into place; a failure removes the temporary files, so
none of the job's outputs appear. On S3 each object is put in turn and, when a put fails, the
ones already put are deleted. :meth:`StagedOutput.withdraw` removes published files again (a
post-analytics script that fails after publication).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from byom_monitor.errors import MonitorError
from byom_monitor.io import storage


class PublishError(MonitorError, ValueError):
    """The results could not be written; none of them were published."""


class StagedOutput:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.names: dict[str, str] = {}  # what the job calls each output -> its location
        self.published: list[str] = []

    def add(self, location: str, text: str, name: str | None = None) -> str:
        """Stage ``text`` for ``location`` (known to the job as ``name``, when given)."""
        self.files[str(location)] = text.encode("utf-8")
        if name is not None:
            self.names[name] = str(location)
        return str(location)

    def publish(self) -> list[str]:
        """Write every staged file; PublishError (and nothing published) on failure."""
        local = {k: v for k, v in self.files.items() if not storage.is_s3(k)}
        remote = {k: v for k, v in self.files.items() if storage.is_s3(k)}
        temporary = _write_temporaries(local)
        try:
            for location, data in remote.items():
                storage.write_bytes(location, data)
                self.published.append(location)
        except Exception as exc:
            for path in temporary.values():
                Path(path).unlink(missing_ok=True)
            self.withdraw()
            raise PublishError(f"could not write the results ({type(exc).__name__}: {exc}); "
                               f"none were published") from exc
        for location, path in temporary.items():
            os.replace(path, location)
            self.published.append(location)
        return list(self.published)

    def withdraw(self) -> None:
        """Remove the files this object published."""
        for location in self.published:
            try:
                storage.delete(location)
            except OSError:
                pass  # best effort: the job is failing anyway and says why
        self.published = []


def _write_temporaries(files: dict[str, bytes]) -> dict[str, str]:
    """Each local file written under a temporary name in its target folder."""
    written: dict[str, str] = {}
    created: list[Path] = []
    try:
        for location, data in files.items():
            folder = Path(location).parent
            created += [p for p in (folder, *folder.parents) if not p.exists()]
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{Path(location).name}.",
                                       suffix=".staged")
            written[location] = tmp
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        for tmp in written.values():
            Path(tmp).unlink(missing_ok=True)
        for folder in sorted(created, key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()  # only the folders made for these results, and only if empty
            except OSError:
                pass
        raise PublishError(f"{location}: could not write the result ({exc.strerror or exc}); "
                           f"none of the job's results were published") from exc
    return written
