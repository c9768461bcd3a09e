"""Dataset readers: CSV, JSON Lines and SageMaker capture JSONL, from a file or a folder, local
or ``s3://``, in chunks so memory does not grow with the number of rows.

Every reader yields :class:`Chunk` objects: a parsed DataFrame plus access to the raw text of a
column (the type rules need the text: ``3`` is Integral, ``3.0`` Fractional). As in Spark, only
an empty field is null; texts such as ``NaN`` or ``null`` are values. Files whose names start
with ``.`` or ``_`` are skipped (Spark's convention; also our temporary files).

Problems in the data raise :class:`DatasetError` naming the file and, where known, the line.
"""
from __future__ import annotations

import base64
import binascii
import csv
import io
import itertools
import json
import mmap
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.errors import InputError
from byom_monitor.io import storage

BLOCK_BYTES = 16 * 1024 * 1024
JSON_LINES_PER_CHUNK = 50_000


class DatasetError(InputError):
    """A dataset that cannot be read; the message names the file and the problem."""


@dataclass
class Chunk:
    """Rows of one file: the parsed frame and the raw text of any column on request."""

    frame: pd.DataFrame
    source: str
    text_of: Callable[[str], pd.Series]


@dataclass(frozen=True)
class DatasetFormat:
    """What the ``dataset_format`` environment variable says (SDK ``DatasetFormat`` dicts)."""

    kind: str = "csv"  # csv | json | capture
    header: bool = False
    output_columns_position: str = "START"
    capture_index_names: tuple[str, ...] = ("endpointInput", "endpointOutput")

    @classmethod
    def parse(cls, spec: dict[str, Any] | str) -> DatasetFormat:
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"dataset_format is not valid JSON: {exc.msg}") from exc
        if not isinstance(spec, dict) or len(spec) != 1:
            raise DatasetError(f"dataset_format must have one key (csv, json, "
                               f"sagemakerCaptureJson), got {spec!r}")
        (kind, options), = spec.items()
        options = options or {}
        if not isinstance(options, dict):
            raise DatasetError(f"dataset_format {kind} options must be an object, got {options!r}")
        if kind == "csv":
            position = str(options.get("output_columns_position", "START")).upper()
            if position not in ("START", "END"):
                raise DatasetError(f"dataset_format csv output_columns_position must be START "
                                   f"or END, got {position!r}")
            header = options.get("header", False)
            if not isinstance(header, bool):
                raise DatasetError(f"dataset_format csv header must be true or false (a JSON "
                                   f"boolean), got {header!r}")
            return cls("csv", header, position)
        if kind == "json":
            if options.get("lines", options.get("line", True)) is False:
                raise DatasetError("dataset_format json: only JSON Lines (lines=true) is supported")
            return cls("json")
        if kind == "sagemakerCaptureJson":
            names = tuple(options.get("captureIndexNames") or cls.capture_index_names)
            return cls("capture", capture_index_names=names)
        raise DatasetError(f"dataset_format {kind!r} is not supported (csv, json, "
                           f"sagemakerCaptureJson)")


def read_chunks(location: storage.Location, dataset_format: DatasetFormat, *,
                start: datetime | None = None, end: datetime | None = None,
                block_bytes: int | None = None) -> Iterator[Chunk]:
    """Chunks of every data file at ``location`` in the given format (CSV and capture data
    in blocks of about ``block_bytes``, by default :data:`BLOCK_BYTES`)."""
    files = data_files(location)
    block_bytes = block_bytes or BLOCK_BYTES
    if dataset_format.kind == "csv":
        return _csv_chunks(files, dataset_format.header, block_bytes)
    if dataset_format.kind == "json":
        return _json_chunks(files)
    return _capture_chunks(files, dataset_format, start, end, block_bytes)


def data_files(location: storage.Location) -> list[str]:
    """The data files at a file, folder or prefix; DatasetError when there are none."""
    if not storage.exists(location):
        raise DatasetError(f"{location}: no such file or folder")
    files = [f for f in storage.list_files(location)
             if not PurePosixPath(f.replace("\\", "/")).name.startswith((".", "_"))]
    if not files:
        raise DatasetError(f"{location}: no data files found")
    return files


# -- CSV ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CsvBlock:
    """Whole lines of one CSV file, not parsed yet; picklable, so a worker process can parse it.

    ``data`` holds the lines, or is None: then they are ``length`` bytes at ``offset`` of the
    local file, read by whoever parses the block (a worker reads its own lines, and the file's
    bytes need not travel between processes). ``first_line`` is the number of the block's first
    line, or None: then it is counted from the file when an error needs it.
    """

    path: str
    names: list[str]
    first_line: int | None
    data: bytes | None = None
    offset: int = 0
    length: int = 0

    def parse(self) -> Chunk:
        data = self.data
        if data is None:
            with open(self.path, "rb") as stream:
                stream.seek(self.offset)
                data = stream.read(self.length)
        return _parse_csv_block(self.path, data, self.names, self.line_number)

    def line_number(self) -> int:
        """The number of the block's first line (1 for a file's first line)."""
        if self.first_line is not None:
            return self.first_line
        newlines, remaining = 0, self.offset
        with open(self.path, "rb") as stream:
            while remaining:
                data = stream.read(min(remaining, BLOCK_BYTES))
                if not data:
                    break
                newlines += data.count(b"\n")
                remaining -= len(data)
        return newlines + 1


def _csv_chunks(files: list[str], header: bool, block_bytes: int) -> Iterator[Chunk]:
    return (block.parse() for block in csv_blocks(files, header, block_bytes))


def csv_blocks(files: list[str], header: bool, block_bytes: int = BLOCK_BYTES, *,
               by_offset: bool = False) -> Iterator[CsvBlock]:
    """The CSV files' rows in blocks of about ``block_bytes``, in file order; with
    ``by_offset``, blocks of local files carry their offset instead of their lines."""
    names: list[str] | None = None

    def names_of(path: str, first_line: bytes) -> list[str]:
        nonlocal names
        file_names = _parse_fields(path, first_line, header)
        if names is None:
            names = file_names if header else [f"_c{i}" for i in range(len(file_names))]
        elif header and file_names != names:
            raise DatasetError(f"{path}: header {file_names} differs from the first file's {names}")
        return names

    for path in files:
        if by_offset and not storage.is_s3(path):
            yield from _mapped_blocks(path, header, block_bytes, names_of)
        else:
            yield from _read_blocks(path, header, block_bytes, names_of)


def _read_blocks(path: str, header: bool, block_bytes: int,
                 names_of: Callable[[str, bytes], list[str]]) -> Iterator[CsvBlock]:
    """Blocks that carry their lines, read from a stream (S3 objects, or lines that travel)."""
    blocks = _line_blocks(path, block_bytes)
    first = next(blocks, b"")
    if not first or first.isspace():
        raise DatasetError(f"{path}: empty file")
    first_line, rest = _split_first_line(first)
    names = names_of(path, first_line)
    line = 2 if header else 1
    for block in itertools.chain([rest if header else first], blocks):
        if block and not block.isspace():
            yield CsvBlock(path, names, line, block)
        line += block.count(b"\n")


def _mapped_blocks(path: str, header: bool, block_bytes: int,
                   names_of: Callable[[str, bytes], list[str]]) -> Iterator[CsvBlock]:
    """Blocks of a local file by offset: the blocks :func:`_read_blocks` cuts, found in a
    window of the file mapped for each block (nothing is copied, and lines are counted only
    when an error needs them)."""
    names: list[str] | None = None
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        start = read_end = 0
        while start < size:
            read_end = min(read_end + block_bytes, size)
            base = start - start % mmap.ALLOCATIONGRANULARITY
            with mmap.mmap(stream.fileno(), read_end - base, access=mmap.ACCESS_READ,
                           offset=base) as window:
                first, cut = start - base, _last_line_end(window, start - base)
                if cut == first:
                    if read_end < size:
                        continue  # no line end yet: map a longer stretch
                    cut = read_end - base  # the rest of the file
                if names is None:
                    if _blank(window, first, cut):
                        break
                    header_end = window.find(b"\n", first, cut) + 1 or cut
                    names = names_of(path, window[first:header_end])
                    first = header_end if header else first
                if first < cut and not _blank(window, first, cut):
                    yield CsvBlock(path, names, None, offset=base + first, length=cut - first)
                start = base + cut
    if names is None:
        raise DatasetError(f"{path}: empty file")


def _blank(data: mmap.mmap, start: int, end: int) -> bool:
    """``data[start:end]`` is all whitespace (looking at one byte when it is not)."""
    return data[start:start + 1].isspace() and data[start:end].isspace()


def _parse_fields(path: str, line: bytes, header: bool) -> list[str]:
    """The fields of the first line: column names when it is a header."""
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: line 1 is not UTF-8 text") from exc
    fields = next(csv.reader([text]), [])
    if not fields:
        raise DatasetError(f"{path}: the first line is empty")
    duplicates = sorted({f for f in fields if fields.count(f) > 1})
    if header and duplicates:
        raise DatasetError(f"{path}: duplicate column names in the header: {duplicates}")
    return fields


_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _parse_csv_block(path: str, block: bytes, names: list[str],
                     first_line: Callable[[], int]) -> Chunk:
    """The parsed block; errors name the line (``first_line()``: the block's first line)."""
    def parse(**options: Any) -> pd.DataFrame:
        try:
            # low_memory=False: one type per column for the whole block (no DtypeWarning, no
            # column holding both numbers and their texts)
            return pd.read_csv(io.BytesIO(block), header=None, names=names, index_col=False,
                               keep_default_na=False, na_values=[""], encoding="utf-8",
                               low_memory=False, **options)
        except pd.errors.ParserError as exc:
            found = _PARSER_LINE.search(str(exc))
            if found:
                line = first_line() + int(found.group(2)) - 1
                raise DatasetError(f"{path}: line {line} has {found.group(3)} fields, expected "
                                   f"{found.group(1)}") from None
            raise DatasetError(f"{path}: cannot parse CSV near line {first_line()}: {exc}") from None
        except UnicodeDecodeError:
            raise DatasetError(f"{path}: not UTF-8 text (bad byte in the rows from line "
                               f"{first_line()} on)") from None

    frame = parse()
    return Chunk(frame, path, lambda column: parse(usecols=[column], dtype=str)[column])


def _line_one() -> int:
    """First line of the CSV text made from capture records (their own lines are not kept)."""
    return 1


def _split_first_line(data: bytes) -> tuple[bytes, bytes]:
    end = data.find(b"\n")
    return (data, b"") if end < 0 else (data[: end + 1], data[end + 1:])


def _line_blocks(path: str, block_bytes: int) -> Iterator[bytes]:
    """Blocks of whole lines, never cutting a quoted field: each ends at the last line end
    before a multiple of ``block_bytes`` (:func:`_mapped_blocks` cuts a local file alike)."""
    carry = b""
    with storage.open_binary(path) as stream:
        while True:
            data = stream.read(block_bytes)
            if not data:
                break
            carry += data
            cut = _last_line_end(carry)
            if cut > 0:
                yield carry[:cut]
                carry = carry[cut:]
    if carry:
        yield carry


def _last_line_end(data: bytes | mmap.mmap, start: int = 0) -> int:
    """Index just past the last newline of ``data[start:]`` that is outside double quotes
    (counted from ``start``); ``start`` if there is none."""
    newline = data.rfind(b"\n", start)
    if newline < 0 or data.find(b'"', start) < 0:
        return newline + 1 if newline >= 0 else start
    raw = np.frombuffer(data, dtype=np.uint8, offset=start)
    outside = (np.cumsum(raw == ord('"')) % 2) == 0
    newlines = np.flatnonzero((raw == ord("\n")) & outside)
    return start + int(newlines[-1]) + 1 if newlines.size else start


# -- JSON Lines ---------------------------------------------------------------------------------
def _json_chunks(files: list[str]) -> Iterator[Chunk]:
    for path in files:
        records: list[dict[str, Any]] = []
        for number, line in text_lines(path):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise DatasetError(f"{path}: line {number} is not a JSON object")
            records.append(record)
            if len(records) >= JSON_LINES_PER_CHUNK:
                yield _json_chunk(path, records)
                records = []
        if records:
            yield _json_chunk(path, records)


def _json_chunk(path: str, records: list[dict[str, Any]]) -> Chunk:
    """Nested objects are flattened with ``.`` between keys (the container's separator is not
    documented)."""
    frame = pd.json_normalize(records, sep=".")
    for column in frame.columns:  # lists stay values; keep them as their JSON text
        if frame[column].map(lambda v: isinstance(v, (list, dict))).any():
            frame[column] = frame[column].map(
                lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)

    def text(column: str) -> pd.Series:
        return frame[column].map(lambda v: v if isinstance(v, str) or v is None
                                 or (isinstance(v, float) and v != v) else json.dumps(v))

    return Chunk(frame, path, text)


def text_lines(path: str) -> Iterator[tuple[int, str]]:
    with storage.open_binary(path) as stream:
        for number, raw in enumerate(stream.iter_lines() if hasattr(stream, "iter_lines")
                                     else stream, start=1):
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                raise DatasetError(f"{path}: line {number} is not UTF-8 text") from None


# -- SageMaker capture JSONL --------------------------------------------------------------------
def _capture_chunks(files: list[str], dataset_format: DatasetFormat, start: datetime | None,
                    end: datetime | None, block_bytes: int) -> Iterator[Chunk]:
    """Each captured row becomes CSV: output columns first (``START``) or last, then parsed
    like a headerless CSV (``_c0``, ``_c1``, ...), as the container matches columns by position."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    width: int | None = None
    names: list[str] = []
    for path in files:
        for number, line in text_lines(path):
            if not line.strip():
                continue
            for row in capture_rows(path, number, line, dataset_format, start, end):
                if width is None:
                    width = len(row)
                    names = [f"_c{i}" for i in range(width)]
                elif len(row) != width:
                    raise DatasetError(f"{path}: line {number} has {len(row)} values, the first "
                                       f"captured record had {width}")
                writer.writerow(row)
            if buffer.tell() >= block_bytes:
                yield _parse_csv_block(path, buffer.getvalue().encode("utf-8"), names,
                                       _line_one)
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield _parse_csv_block(path, buffer.getvalue().encode("utf-8"), names, _line_one)
            buffer.seek(0)
            buffer.truncate()


def capture_rows(path: str, number: int, line: str, dataset_format: DatasetFormat,
                 start: datetime | None = None, end: datetime | None = None) -> list[list[str]]:
    """The table rows of one capture record (a request may hold several rows)."""
    try:
        record = json.loads(line)
        capture = record["captureData"]
        metadata = record.get("eventMetadata", {})
    except (json.JSONDecodeError, KeyError, TypeError):
        raise DatasetError(f"{path}: line {number} is not a capture record") from None
    if metadata.get("invocationSource") == "ShadowExperiment":
        return []
    if start is not None or end is not None:
        when = parse_time(metadata.get("inferenceTime", ""),
                          f"{path}: line {number}: inferenceTime")
        if (start is not None and when < start) or (end is not None and when >= end):
            return []
    parts = []
    for index_name in dataset_format.capture_index_names:
        if index_name not in capture:
            raise DatasetError(f"{path}: line {number} has no captureData.{index_name}")
        parts.append(payload_rows(capture[index_name], f"{path}: line {number}"))
    both = ("endpointInput", "endpointOutput")
    if len(parts) == 2 and dataset_format.capture_index_names == both:
        inputs, outputs = parts
        if len(outputs) != len(inputs):
            raise DatasetError(f"{path}: line {number} has {len(inputs)} input rows but "
                               f"{len(outputs)} output rows")
        if dataset_format.output_columns_position == "START":
            return [o + i for i, o in zip(inputs, outputs)]
        return [i + o for i, o in zip(inputs, outputs)]
    rows = parts[0]
    for extra in parts[1:]:
        rows = [a + b for a, b in zip(rows, extra)]
    return rows


def parse_time(text: str, where: str) -> datetime:
    """An ISO-8601 time with its zone (``Z`` or ``+01:00``): times without one cannot be
    compared with the capture's UTC times."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise DatasetError(f"{where} {text!r} is not an ISO-8601 time") from None
    if when.tzinfo is None:
        raise DatasetError(f"{where} {text!r} has no time zone; write it in UTC with a "
                           f"Z, e.g. {when.strftime('%Y-%m-%dT%H:%M:%S')}Z")
    return when


def payload_rows(payload: dict[str, Any], where: str) -> list[list[str]]:
    data = payload.get("data", "")
    encoding = str(payload.get("encoding", "CSV")).upper()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise DatasetError(f"{where}: the BASE64 payload is not valid base64 or not UTF-8 "
                               f"text ({exc})") from None
        encoding = "CSV"
    if encoding == "CSV":
        return [row for row in csv.reader(io.StringIO(data)) if row]
    if encoding == "JSON":
        try:
            return _json_payload_rows(json.loads(data))
        except json.JSONDecodeError:
            raise DatasetError(f"{where}: the JSON payload is not valid JSON") from None
    raise DatasetError(f"{where}: unknown capture encoding {encoding!r}")


def _json_payload_rows(value: Any) -> list[list[str]]:
    """Rows from common JSON payloads: ``{"instances": [{"features": [...]}, ...]}``,
    ``{"predictions": [{...}]}``, a list of rows, a list of numbers, an object or a number."""
    if isinstance(value, dict):
        for key in ("instances", "predictions"):
            if isinstance(value.get(key), list):
                return [_flat_values(item) for item in value[key]]
        return [_flat_values(value)]
    if isinstance(value, list) and value and all(isinstance(v, (list, dict)) for v in value):
        return [_flat_values(item) for item in value]
    return [_flat_values(value)]


def _flat_values(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "features" in value and len(value) == 1:
            return _flat_values(value["features"])
        return [v for item in value.values() for v in _flat_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _flat_values(item)]
    if value is None:
        return [""]
    return [value if isinstance(value, str) else json.dumps(value)]
