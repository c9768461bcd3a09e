"""Turning the dataset the container is pointed at into a profile.

Without a record preprocessor the fast readers of :mod:`byom_monitor.io.datasets` are used. With
``record_preprocessor_script`` every record goes through the user's ``preprocess_handler``
(spec A.5): a raw line for CSV / JSON data, a :class:`CapturedData` object for capture data.
The handler returns a flat ``{column: value}`` dict (columns are ordered by key, as the service
appears to do) or ``[]`` to drop the record.
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from byom_monitor.analyzer.parallel_profile import PROFILE_BLOCK_BYTES, profile_csv_blocks
from byom_monitor.engines import datatypes as dt
from byom_monitor.engines.profile import DatasetProfile
from byom_monitor.io.datasets import (
    Chunk,
    DatasetError,
    DatasetFormat,
    csv_blocks,
    data_files,
    read_chunks,
    text_lines,
)

RECORDS_PER_CHUNK = 50_000
logger = logging.getLogger("byom_monitor.analyzer")


def profile_dataset(location: str, dataset_format: DatasetFormat, *,
                    start: datetime | None = None, end: datetime | None = None,
                    preprocessor: Callable[..., Any] | None = None,
                    workers: int | None = None) -> DatasetProfile:
    """One pass over the dataset (two for a text column that some chunks read as numbers);
    DatasetError when it has no rows. CSV files are profiled block by block in ``workers``
    processes (default: one per core)."""
    if preprocessor is None and dataset_format.kind == "csv":
        blocks = csv_blocks(data_files(location), dataset_format.header, PROFILE_BLOCK_BYTES,
                            by_offset=True)
        profile = profile_csv_blocks(blocks, workers)
    else:
        if preprocessor is None:
            chunks = read_chunks(location, dataset_format, start=start, end=end)
        else:
            chunks = _preprocessed_chunks(location, dataset_format, preprocessor)
        profile = DatasetProfile()
        for chunk in chunks:
            profile.update(chunk.frame, chunk.text_of)
    if profile.rows == 0:
        raise DatasetError(f"{location}: the dataset has no rows")
    recount = [name for name in profile.read_as_numbers
               if profile.columns[name].inferred_type == dt.STRING]
    if recount and preprocessor is None:
        _recount(profile, recount, read_chunks(location, dataset_format, start=start, end=end))
    return profile


def _recount(profile: DatasetProfile, names: list[str], chunks: Iterator[Chunk]) -> None:
    """Value counts of text columns from a second pass over their raw text: chunks that
    parsed such a column as numbers did not count its values."""
    for name in names:
        profile.columns[name].clear_value_counts()
    for chunk in chunks:
        for name in names:
            profile.columns[name].count_text(chunk.text_of(name))


def load_script(path: str, function: str) -> Callable[..., Any]:
    """``function`` from a user script; DatasetError naming the script when it is unusable."""
    if not Path(path).is_file():
        raise DatasetError(f"{path}: script not found")
    spec = importlib.util.spec_from_file_location(f"user_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: report, do not crash
        raise DatasetError(f"{path}: the script failed to load: {type(exc).__name__}: {exc}") from exc
    handler = getattr(module, function, None)
    if not callable(handler):
        raise DatasetError(f"{path}: the script defines no {function}()")
    return handler


def _call_handler(handler: Callable[..., Any], record: Any, where: str) -> Any:
    try:
        if len(inspect.signature(handler).parameters) >= 2:
            return handler(record, logger)
        return handler(record)
    except Exception as exc:
        raise DatasetError(f"{where}: preprocess_handler failed: {type(exc).__name__}: {exc}") from exc


@dataclass
class CapturedData:
    """What ``preprocess_handler`` receives for capture records (attribute names per spec A.5)."""

    event_metadata: Any
    endpoint_input: Any
    endpoint_output: Any
    batch_transform_output: Any
    ground_truth: Any
    event_version: str

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CapturedData:
        capture = record.get("captureData", {})
        meta = record.get("eventMetadata", {})

        def part(payload: dict[str, Any] | None) -> Any:
            if payload is None:
                return None
            return SimpleNamespace(encoding=payload.get("encoding"), data=payload.get("data"),
                                   observedContentType=payload.get("observedContentType"),
                                   mode=payload.get("mode"))

        return cls(
            event_metadata=SimpleNamespace(event_id=meta.get("eventId"),
                                           inference_id=meta.get("inferenceId"),
                                           event_time=meta.get("inferenceTime"),
                                           custom_attribute=meta.get("customAttributes")),
            endpoint_input=part(capture.get("endpointInput")),
            endpoint_output=part(capture.get("endpointOutput")),
            batch_transform_output=part(capture.get("batchTransformOutput")),
            ground_truth=part(record.get("groundTruthData")),
            event_version=str(record.get("eventVersion", "0")),
        )


def _preprocessed_chunks(location: str, dataset_format: DatasetFormat,
                         handler: Callable[..., Any]) -> Iterator[Chunk]:
    rows: list[dict[str, Any]] = []
    header: list[str] | None = None
    for path in data_files(location):
        for number, line in text_lines(path):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if dataset_format.kind == "csv" and dataset_format.header and number == 1:
                continue  # the handler gets data lines only
            where = f"{path}: line {number}"
            record: Any = line
            if dataset_format.kind == "capture":
                try:
                    record = CapturedData.from_record(json.loads(line))
                except json.JSONDecodeError:
                    raise DatasetError(f"{where}: not a capture record") from None
            result = _call_handler(handler, record, where)
            if result == [] or result is None:
                continue
            if not isinstance(result, dict):
                raise DatasetError(f"{where}: preprocess_handler must return a dict or [], got "
                                   f"{type(result).__name__}")
            if header is None:
                header = sorted(map(str, result))
            rows.append(result)
            if len(rows) >= RECORDS_PER_CHUNK:
                yield _rows_chunk(path, rows, header)
                rows = []
        if rows:
            yield _rows_chunk(path, rows, header)
            rows = []


def _rows_chunk(path: str, rows: list[dict[str, Any]], header: list[str]) -> Chunk:
    frame = pd.DataFrame([{k: row.get(k) for k in header} for row in rows], columns=header)
    frame = frame.replace({"": None})

    def text(column: str) -> pd.Series:
        return frame[column].map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))

    return Chunk(frame, path, text)
