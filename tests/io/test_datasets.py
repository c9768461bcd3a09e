import base64
import json

import pandas as pd
import pytest

from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetError, DatasetFormat, csv_blocks, read_chunks

CSV = DatasetFormat("csv", header=True)


def _read(location, fmt=CSV, **kw) -> pd.DataFrame:
    return pd.concat([c.frame for c in read_chunks(location, fmt, **kw)], ignore_index=True)


def test_csv_with_and_without_header(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n1,x\n2,y\n")
    (tmp_path / "n.csv").write_text("1,x\n2,y\n")
    assert list(_read(tmp_path / "h.csv").columns) == ["a", "b"]
    assert list(_read(tmp_path / "n.csv", DatasetFormat("csv")).columns) == ["_c0", "_c1"]


def test_small_blocks_give_the_same_rows_even_with_quoted_newlines(tmp_path):
    frame = pd.DataFrame({"n": range(500), "t": [f'line "{i}"\nnext, part' for i in range(500)]})
    frame.to_csv(tmp_path / "q.csv", index=False)
    chunks = list(read_chunks(tmp_path / "q.csv", CSV, block_bytes=1000))
    assert len(chunks) > 10
    pd.testing.assert_frame_equal(pd.concat([c.frame for c in chunks], ignore_index=True), frame)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("header", [True, False])
def test_blocks_by_offset_are_the_blocks_read(tmp_path, newline, header):
    """Blocks found in the mapped file: the same lines and line numbers as blocks read."""
    rows = ["a,b,c"]
    for i in range(300):
        rows.append(['"x\ny",1,"q""q"', "   ", "", f"{i},{i * 2},z{i}"][i % 4 if i % 7 else 0])
    path = tmp_path / "m.csv"
    path.write_bytes((newline.join(rows) + newline + "  " + newline).encode())
    raw = path.read_bytes()
    for block_bytes in (7, 100, 4096, 10**6):
        read = list(csv_blocks([str(path)], header, block_bytes))
        mapped = list(csv_blocks([str(path)], header, block_bytes, by_offset=True))
        assert len(mapped) == len(read) >= (2 if block_bytes <= 100 else 1)
        for one, other in zip(read, mapped):
            assert other.data is None and raw[other.offset:other.offset + other.length] == one.data
            assert other.names == one.names
            assert other.first_line is None and other.line_number() == one.first_line


@pytest.mark.parametrize("content", [b"", b"  \n \n"])
def test_blocks_by_offset_of_an_empty_file(tmp_path, content):
    (tmp_path / "e.csv").write_bytes(content)
    with pytest.raises(DatasetError, match="e.csv: empty file"):
        list(csv_blocks([str(tmp_path / "e.csv")], True, by_offset=True))


def test_only_empty_fields_are_null(tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,NaN\n,null\n3,\n")
    frame = _read(tmp_path / "d.csv")
    assert frame["a"].isna().tolist() == [False, True, False]
    assert frame["b"].tolist()[:2] == ["NaN", "null"] and pd.isna(frame["b"][2])


def test_raw_text_of_a_column(tmp_path):
    (tmp_path / "d.csv").write_text("a\n1.0\n\n2\n")
    chunk = next(iter(read_chunks(tmp_path / "d.csv", CSV)))
    assert chunk.text_of("a").tolist() == ["1.0", "2"]


def test_folder_of_files_skips_hidden_and_checks_headers(tmp_path):
    (tmp_path / "1.csv").write_text("a,b\n1,2\n")
    (tmp_path / "2.csv").write_text("a,b\n3,4\n")
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / ".tmp.csv").write_text("garbage")
    assert _read(tmp_path)["a"].tolist() == [1, 3]
    (tmp_path / "3.csv").write_text("a,c\n5,6\n")
    with pytest.raises(DatasetError, match="3.csv: header"):
        _read(tmp_path)


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"a,b\n1,2\n3,4,5\n", "line 3 has 3 fields, expected 2"),
    (b"a,b\n1,\xff\xfe\n", "not UTF-8"),
    (b"a,a\n1,2\n", "duplicate column names"),
])
def test_bad_csv_names_file_and_problem(tmp_path, content, message):
    (tmp_path / "bad.csv").write_bytes(content)
    with pytest.raises(DatasetError, match=f"bad.csv.*{message}"):
        _read(tmp_path / "bad.csv")


def test_short_rows_are_missing_values_not_dropped(tmp_path):
    (tmp_path / "s.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    frame = _read(tmp_path / "s.csv")
    assert len(frame) == 2 and pd.isna(frame["c"][1])


def test_header_only_gives_no_rows(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n")
    assert list(read_chunks(tmp_path / "h.csv", CSV)) == []


def test_missing_location(tmp_path):
    with pytest.raises(DatasetError, match="no such file or folder"):
        _read(tmp_path / "nope.csv")


def test_json_lines_flattens_nested_objects(tmp_path):
    lines = [{"a": 1, "b": {"c": 2.5, "d": "x"}}, {"a": 2, "b": {"c": 3.0, "d": "y"}, "e": [1]}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    chunks = list(read_chunks(tmp_path / "d.jsonl", DatasetFormat("json")))
    frame = chunks[0].frame
    assert sorted(frame.columns) == ["a", "b.c", "b.d", "e"]
    assert chunks[0].text_of("b.c").tolist() == ["2.5", "3.0"]
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\n{oops\n')
    with pytest.raises(DatasetError, match="bad.jsonl: line 2 is not valid JSON"):
        list(read_chunks(tmp_path / "bad.jsonl", DatasetFormat("json")))


def _capture(inputs: str, outputs: str, encoding="CSV", when="2024-01-01T10:15:00Z"):
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": inputs,
                          "encoding": encoding},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": outputs,
                           "encoding": encoding}},
        "eventMetadata": {"eventId": "e", "inferenceTime": when}, "eventVersion": "0"})


def test_capture_rows_put_outputs_first(tmp_path):
    folder = tmp_path / "endpoint" / "AllTraffic" / "2024" / "01" / "01" / "10"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text("\n".join([
        _capture("1,2,3", "0.9"),
        _capture("4,5,6\n7,8,9", "0.1\n0.2"),  # two rows in one request
        _capture(base64.b64encode(b"1,1,1").decode(), base64.b64encode(b"0.5").decode(), "BASE64"),
        _capture('{"instances": [{"features": [3, 2, 1]}]}', '{"predictions": [{"score": 0.7}]}',
                 "JSON"),
    ]) + "\n")
    frame = _read(tmp_path / "endpoint", DatasetFormat("capture"))
    assert list(frame.columns) == ["_c0", "_c1", "_c2", "_c3"]
    assert frame["_c0"].tolist() == [0.9, 0.1, 0.2, 0.5, 0.7]
    assert frame["_c1"].tolist() == [1, 4, 7, 1, 3]
    end = _read(tmp_path / "endpoint", DatasetFormat("capture", output_columns_position="END"))
    assert end["_c3"].tolist() == [0.9, 0.1, 0.2, 0.5, 0.7]


def test_capture_time_window(tmp_path):
    (tmp_path / "c.jsonl").write_text("\n".join([
        _capture("1", "0", when="2024-01-01T09:59:59Z"),
        _capture("2", "0", when="2024-01-01T10:00:00Z"),
        _capture("3", "0", when="2024-01-01T11:00:00Z")]) + "\n")
    from datetime import datetime, timezone
    start = datetime(2024, 1, 1, 10, tzinfo=timezone.utc)
    end = datetime(2024, 1, 1, 11, tzinfo=timezone.utc)
    frame = _read(tmp_path / "c.jsonl", DatasetFormat("capture"), start=start, end=end)
    assert frame["_c1"].tolist() == [2]


def test_capture_mismatched_rows(tmp_path):
    (tmp_path / "c.jsonl").write_text(_capture("1\n2", "0") + "\n")
    with pytest.raises(DatasetError, match="c.jsonl: line 1 has 2 input rows but 1 output rows"):
        _read(tmp_path / "c.jsonl", DatasetFormat("capture"))


@pytest.mark.parametrize("spec, parsed", [
    ({"csv": {"header": True, "output_columns_position": "START"}}, DatasetFormat("csv", True)),
    ({"json": {"lines": True}}, DatasetFormat("json")),
    ({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}},
     DatasetFormat("capture", capture_index_names=("endpointInput",))),
])
def test_dataset_format_from_the_sdk(spec, parsed):
    assert DatasetFormat.parse(json.dumps(spec)) == parsed


def test_sdk_dataset_format_objects_parse():
    from sagemaker.model_monitor import DatasetFormat as SdkFormat

    assert DatasetFormat.parse(SdkFormat.csv(header=True)).header is True
    assert DatasetFormat.parse(SdkFormat.json(lines=True)).kind == "json"
    assert DatasetFormat.parse(SdkFormat.sagemaker_capture_json()).kind == "capture"


@pytest.mark.parametrize("bad", ['{"parquet": {}}', "not json", '{"csv": {}, "json": {}}'])
def test_unsupported_dataset_format(bad):
    with pytest.raises(DatasetError, match="dataset_format"):
        DatasetFormat.parse(bad)


def test_reads_from_s3(s3_bucket):
    storage.write_text(f"{s3_bucket}/in/part-1.csv", "a\n1\n2\n")
    storage.write_text(f"{s3_bucket}/in/part-2.csv", "a\n3\n")
    assert _read(f"{s3_bucket}/in")["a"].tolist() == [1, 2, 3]
    storage.write_text(f"{s3_bucket}/j/x.jsonl", '{"a": 1}\n{"a": 2}\n')
    assert _read(f"{s3_bucket}/j", DatasetFormat("json"))["a"].tolist() == [1, 2]
