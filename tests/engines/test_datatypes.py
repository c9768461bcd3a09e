import pytest

from byom_monitor.engines import datatypes as dt


@pytest.mark.parametrize("text, kind", [
    ("3", dt.INTEGRAL), ("-3", dt.INTEGRAL), ("+ 3", dt.INTEGRAL), ("007", dt.INTEGRAL),
    ("3.0", dt.FRACTIONAL), ("-0.5", dt.FRACTIONAL), ("1e5", dt.FRACTIONAL),
    ("1.2E-3", dt.FRACTIONAL), ("true", dt.BOOLEAN), ("false", dt.BOOLEAN),
    ("True", dt.STRING), ("NaN", dt.STRING), ("inf", dt.STRING), (".5", dt.STRING),
    ("3.", dt.STRING), ("abc", dt.STRING), ("1,000", dt.STRING),
])
def test_deequ_regexes(text, kind):
    assert dt.classify_text(text) == kind


@pytest.mark.parametrize("counts, kind", [
    ({}, dt.UNKNOWN),
    ({dt.INTEGRAL: 5}, dt.INTEGRAL),
    ({dt.INTEGRAL: 5, dt.FRACTIONAL: 1}, dt.FRACTIONAL),
    ({dt.INTEGRAL: 5, dt.STRING: 1}, dt.STRING),
    ({dt.BOOLEAN: 3}, dt.STRING),
    ({dt.BOOLEAN: 3, dt.INTEGRAL: 1}, dt.STRING),
])
def test_column_type(counts, kind):
    assert dt.column_type(counts) == kind


def test_typed_json_values():
    assert [dt.classify_value(v) for v in (True, 3, 3.0, "x", float("nan"))] == [
        dt.BOOLEAN, dt.INTEGRAL, dt.FRACTIONAL, dt.STRING, dt.STRING]
