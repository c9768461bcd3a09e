"""The package's front door: every public name loads, and importing it loads nothing else."""
from __future__ import annotations

import subprocess
import sys

import pytest

import byom_monitor


@pytest.mark.parametrize("name", byom_monitor.__all__)
def test_every_public_name_loads_from_its_module(name):
    value = getattr(byom_monitor, name)
    assert getattr(value, "__name__", name) == name
    assert name in dir(byom_monitor)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'baseline_quality'"):
        byom_monitor.baseline_quality  # noqa: B018


def test_importing_the_package_loads_neither_numpy_nor_pandas():
    probe = "import sys, byom_monitor; print(sorted({'numpy', 'pandas'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
