"""Our endpoint-style capture, exported hour by hour in the layout a SageMaker monitoring
schedule with ``BatchTransformInput`` reads (spec byo-schedules-on-sagemaker, "What this means
here", point 1).

A real schedule cannot read the capture JSON Lines of a model served outside SageMaker
(``EndpointInput`` needs a SageMaker endpoint), but ``BatchTransformInput`` takes only an S3
URI: below it, ``input/`` and ``output/`` hold transform-style **manifests** in
``yyyy/mm/dd/hh/`` folders, and the rows are plain CSV. For one capture hour this writes::

    {destination}/transform-input/yyyy/mm/dd/hh/<export>.csv       features
    {destination}/transform-output/yyyy/mm/dd/hh/<export>.csv.out  features, prediction(s),
                                                                    inference id, inference time
    {destination}/input/yyyy/mm/dd/hh/manifest.json
        [{"prefix": "{destination}/transform-input/yyyy/mm/dd/hh/"}, "<export>.csv"]
    {destination}/output/yyyy/mm/dd/hh/manifest.json
        [{"prefix": "{destination}/transform-output/yyyy/mm/dd/hh/"}, "<export>.csv.out"]

as a transform job with ``join_source="Input"`` and ``GenerateInferenceId`` would (CSV without
a header). A row's inference id is the record's ``inferenceId`` (the caller's
``X-Amzn-SageMaker-Inference-Id``), else its ``eventId``; a request of n > 1 rows gives its rows
``<id>:0`` ... ``<id>:<n-1>``. Ground truth for model quality must use these ids as ``eventId``.

Re-exporting an hour replaces it: every row is read and checked first (a malformed record is
one :class:`~byom_monitor.io.datasets.DatasetError` naming the file and line, and nothing is
written), then the new data files, then the two manifests (the commit point; on a failure the
previous manifests are put back and the new files removed), and only then the previous
export's data files are deleted. An hour without captured records writes nothing.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetError, parse_time, payload_rows, text_lines

MANIFEST = "manifest.json"
#: Manifest folder -> the folder of the data files it names, and their suffix.
_SIDES = {"input": ("transform-input", ".csv"), "output": ("transform-output", ".csv.out")}
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class HourExport:
    """One exported hour: how many rows, how wide, and its two manifests (None when empty)."""

    hour: datetime
    rows: int
    feature_columns: int = 0
    output_columns: int = 0
    input_manifest: str | None = None
    output_manifest: str | None = None

    @property
    def inference_id_column(self) -> int:
        """0-based column of the inference id in the output rows (then the time)."""
        return self.feature_columns + self.output_columns


def export_hour(capture: str, destination: str, hour: datetime) -> HourExport:
    """Export the capture hour ``hour`` (any time within it, timezone-aware) of one endpoint
    variant's capture folder ``capture`` (``<capture>/<endpoint>/<variant>``, local or s3://)
    below ``destination``, replacing an earlier export of that hour."""
    hour = _hour_start(hour)
    inputs, outputs = _read_hour(storage.join(capture, *_hour_parts(hour)))
    if not inputs:
        return HourExport(hour, 0)
    export = uuid.uuid4().hex
    manifests = {}
    for side, rows in (("input", inputs), ("output", outputs)):
        folder, suffix = _SIDES[side]
        manifests[side] = (storage.join(destination, side, *_hour_parts(hour), MANIFEST),
                           storage.join(destination, folder, *_hour_parts(hour)) + "/",
                           export + suffix, _csv(rows))
    _replace(manifests)
    return HourExport(hour, len(inputs), len(inputs[0]), len(outputs[0]) - len(inputs[0]) - 2,
                      manifests["input"][0], manifests["output"][0])


def export_range(capture: str, destination: str, start: datetime, end: datetime
                 ) -> list[HourExport]:
    """:func:`export_hour` for every hour from the one holding ``start`` up to ``end``
    (exclusive); each hour is replaced on its own."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware (UTC capture hours)")
    hours, hour = [], _hour_start(start)
    while hour < end:
        hours.append(export_hour(capture, destination, hour))
        hour += _HOUR
    return hours


def manifest_files(manifest: str) -> list[str]:
    """The data files a transform-style manifest names (``[{"prefix": p}, "a", ...]``)."""
    return _named_files(manifest, storage.read_text(manifest))


def read_rows(manifest: str) -> list[list[str]]:
    """The CSV rows of every file a manifest names, as a schedule's job would read them."""
    return [row for location in manifest_files(manifest)
            for row in csv.reader(io.StringIO(storage.read_text(location)))]


def _hour_start(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"hour {when} has no time zone; capture hours are UTC")
    return when.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _hour_parts(hour: datetime) -> list[str]:
    return hour.strftime("%Y/%m/%d/%H").split("/")


def _read_hour(folder: str) -> tuple[list[list[str]], list[list[str]]]:
    """Input rows and joined output rows of every capture file in an hour folder."""
    inputs: list[list[str]] = []
    outputs: list[list[str]] = []
    if not storage.exists(folder):
        return inputs, outputs
    files = [f for f in storage.list_files(folder) if f.endswith(".jsonl")
             and not f.replace("\\", "/").rsplit("/", 1)[-1].startswith(".")]
    for path in files:
        for number, line in text_lines(path):
            if line.strip():
                for features, joined in _record_rows(f"{path}: line {number}", line):
                    if outputs and len(joined) != len(outputs[0]):
                        raise DatasetError(f"{path}: line {number} has {len(joined)} values with "
                                           f"id and time, the first record had {len(outputs[0])}")
                    inputs.append(features)
                    outputs.append(joined)
    return inputs, outputs


def _record_rows(where: str, line: str) -> list[tuple[list[str], list[str]]]:
    """``(features, features + outputs + [id, time])`` for each row of one capture record."""
    try:
        record = json.loads(line)
        metadata = record["eventMetadata"]
        identifier = str(metadata.get("inferenceId") or metadata["eventId"])
        request, response = (record["captureData"][k] for k in ("endpointInput", "endpointOutput"))
        if not all(isinstance(part, dict) for part in (request, response)):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DatasetError(f"{where} is not a capture record (captureData.endpointInput, "
                           f"endpointOutput and eventMetadata.eventId)") from None
    time = metadata.get("inferenceTime", "")
    parse_time(time, f"{where}: inferenceTime")
    features, predictions = payload_rows(request, where), payload_rows(response, where)
    if not features or len(features) != len(predictions):
        raise DatasetError(f"{where} has {len(features)} input row(s) and {len(predictions)} "
                           f"output row(s); each input row needs one output row")
    ids = [identifier] if len(features) == 1 else [f"{identifier}:{i}"
                                                   for i in range(len(features))]
    return [(row, row + out + [rid, time]) for row, out, rid in zip(features, predictions, ids)]


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _replace(sides: dict[str, tuple[str, str, str, str]]) -> None:
    """Write the new data files, then the manifests; on a failure put the previous manifests
    back and remove what was written; after success delete the previous data files (those
    of a previous manifest that cannot be read are left alone)."""
    previous = {manifest: storage.read_text(manifest) if storage.exists(manifest) else None
                for manifest, *_ in sides.values()}
    written: list[str] = []
    committed: list[str] = []
    try:
        for _, prefix, name, text in sides.values():
            written.append(prefix + name)
            storage.write_text(prefix + name, text)
        for manifest, prefix, name, _ in sides.values():
            storage.write_text(manifest, json.dumps([{"prefix": prefix}, name]))
            committed.append(manifest)  # a failed write leaves the previous manifest
    except BaseException:
        for manifest in committed:
            if previous[manifest] is None:
                storage.delete(manifest)
            else:
                storage.write_text(manifest, previous[manifest])
        for location in written:
            storage.delete(location)
        raise
    for manifest, text in previous.items():
        with contextlib.suppress(DatasetError):
            for location in _named_files(manifest, text) if text is not None else []:
                if location not in written:
                    storage.delete(location)


def _named_files(manifest: str, text: str) -> list[str]:
    try:
        first, *names = json.loads(text)
        base = first["prefix"]
        return [base + name for name in names if isinstance(name, str)]
    except (ValueError, TypeError, KeyError):
        raise DatasetError(f'{manifest}: not a manifest ([{{"prefix": ...}}, file, ...])'
                           ) from None
