import pytest

from byom_monitor.io.formats import (
    FormatError,
    dumps_clarify,
    dumps_jackson,
    java_double,
    load_json,
)


@pytest.mark.parametrize("value, text", [
    (2.31, "2.31"), (3.0, "3.0"), (0.001, "0.001"), (0.0001, "1.0E-4"), (1e7, "1.0E7"),
    (12345678.9, "1.23456789E7"), (-2.5e-8, "-2.5E-8"), (0.0, "0.0"), (-0.0, "-0.0"),
    (99.64592817400101, "99.64592817400101"), (float("nan"), '"NaN"'),
    (float("inf"), '"Infinity"'), (float("-inf"), '"-Infinity"'),
])
def test_java_double_to_string(value, text):
    assert java_double(value) == text


def test_jackson_layout():
    document = {"version": 0.0, "dataset": {"item_count": 3}, "empty": [],
                "features": [{"name": "a", "data": [[1.0, 2.0]]}, {"name": "b", "ok": True}]}
    assert dumps_jackson(document) == (
        '{\n  "version" : 0.0,\n  "dataset" : {\n    "item_count" : 3\n  },\n'
        '  "empty" : [ ],\n  "features" : [ {\n    "name" : "a",\n    "data" : [ [ 1.0, 2.0 ] ]\n'
        '  }, {\n    "name" : "b",\n    "ok" : true\n  } ]\n}')


def test_clarify_style_writes_infinity_as_a_string():
    assert dumps_clarify({"v": float("inf")}) == '{\n    "v": "Infinity"\n}\n'


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"), ("[1, 2]", "expected a JSON object"), (b"\xff\xfe", "not UTF-8")])
def test_load_json_names_the_file(tmp_path, content, message):
    path = tmp_path / "constraints.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(FormatError, match=f"constraints.json: {message}"):
        load_json(path)
    with pytest.raises(FormatError, match="file not found"):
        load_json(tmp_path / "absent.json")
