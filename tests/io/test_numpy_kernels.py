"""numpy's CPU kernels: AVX2 on AMD Zen 4, chosen before numpy loads, with the same results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from byom_monitor.io import numpy_kernels
from byom_monitor.io.numpy_kernels import (
    VARIABLE,
    avx512_targets,
    is_zen4,
    prefer_avx2_on_zen4,
)


def cpuinfo(vendor: str, family: int, flags: str) -> str:
    processor = (f"processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: {family}\n"
                 f"model\t\t: 17\nflags\t\t: {flags}\n")
    return processor + "\n" + processor.replace(": 0", ": 1")


ZEN4 = cpuinfo("AuthenticAMD", 25, "fpu sse2 avx2 avx512f avx512cd avx512bw")


@pytest.mark.parametrize("text, expected", [
    (ZEN4, True),
    (cpuinfo("AuthenticAMD", 25, "fpu sse2 avx2"), False),  # Zen 3: no AVX-512
    (cpuinfo("AuthenticAMD", 26, "fpu avx2 avx512f"), False),  # Zen 5 fixed the slow store
    (cpuinfo("GenuineIntel", 6, "fpu avx2 avx512f"), False),
    ("", False),
    ("vendor_id : AuthenticAMD\ncpu family : ?\n", False),
])
def test_zen4_is_recognised_from_cpuinfo(text, expected):
    assert is_zen4(text) is expected


@pytest.mark.parametrize("version, expected", [
    ("2.4.6", "X86_V4 AVX512_ICL AVX512_SPR"),
    ("2.5.0rc1", "X86_V4 AVX512_ICL AVX512_SPR"),
    ("2.3.5", "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"),
    ("1.26.4", "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"),
])
def test_the_feature_names_follow_numpy_s_version(version, expected):
    assert avx512_targets(version) == expected


def test_on_zen4_the_avx512_kernels_are_turned_off(tmp_path):
    (tmp_path / "cpuinfo").write_text(ZEN4)
    environ: dict[str, str] = {}
    assert prefer_avx2_on_zen4(environ, tmp_path / "cpuinfo") is True
    assert environ == {VARIABLE: avx512_targets(numpy_kernels._numpy_version())}


def test_elsewhere_and_when_the_user_chose_nothing_changes(tmp_path):
    (tmp_path / "intel").write_text(cpuinfo("GenuineIntel", 6, "avx2 avx512f"))
    (tmp_path / "zen4").write_text(ZEN4)
    for environ, info in [({}, tmp_path / "intel"), ({}, tmp_path / "no-such-file"),
                          ({VARIABLE: ""}, tmp_path / "zen4"),  # the user's choice stands
                          ({VARIABLE: "AVX512_SPR"}, tmp_path / "zen4")]:
        before = dict(environ)
        assert prefer_avx2_on_zen4(environ, info) is False
        assert environ == before


@pytest.fixture
def own_environment(monkeypatch) -> dict[str, str]:
    """This process's environment, for the test only (without the variable)."""
    environment = {k: v for k, v in os.environ.items() if k != VARIABLE}
    monkeypatch.setattr(os, "environ", environment)
    return environment


def test_this_process_once_numpy_is_loaded_is_left_alone(tmp_path, own_environment):
    (tmp_path / "cpuinfo").write_text(ZEN4)
    assert "numpy" in sys.modules  # as in any test
    assert prefer_avx2_on_zen4(cpuinfo=tmp_path / "cpuinfo") is False
    assert VARIABLE not in own_environment


def test_this_process_before_numpy_loads_is_set(tmp_path, own_environment, monkeypatch):
    (tmp_path / "cpuinfo").write_text(ZEN4)
    monkeypatch.delitem(sys.modules, "numpy")  # as at an entry point (only membership counts)
    assert prefer_avx2_on_zen4(cpuinfo=tmp_path / "cpuinfo") is True
    assert own_environment[VARIABLE] == avx512_targets(np.__version__)


def test_the_installed_numpy_s_version_is_read_from_its_version_file():
    assert numpy_kernels._numpy_version() == np.__version__


@pytest.mark.parametrize("entry_point", [
    "sys.argv = ['analyzer', '--help']\n"
    "runpy.run_module('byom_monitor.analyzer', run_name='__main__')",  # python -m ...analyzer
    "from byom_monitor.cli import main\nmain(['--help'])",  # byom-monitor
])
def test_the_entry_points_choose_before_numpy_loads(entry_point):
    """The entry point's choice comes first; the package's __init__ files load nothing."""
    probe = ("import sys, runpy\n"
             "import byom_monitor.io.numpy_kernels as kernels\n"
             "kernels.prefer_avx2_on_zen4 = lambda: print('numpy loaded:', 'numpy' in sys.modules)\n"
             + entry_point + "\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.startswith("numpy loaded: False\n"), result.stderr


def _edge_dataset(path: Path, scale: float) -> None:
    """Floats that sort subtly (-0.0, infinities, tiny and huge values, gaps), integers and
    strings; more rows than a KLL level holds, so the sketches compact (and sort)."""
    rng = np.random.default_rng(7)
    n = 30_000
    pd.DataFrame({
        "normal": rng.normal(size=n) * scale,
        "signed_zero": np.where(rng.random(n) < 0.3, -0.0, rng.normal(size=n)) * scale,
        "extremes": rng.choice([0.0, -0.0, 1.5, np.inf, -np.inf, 1e300, -1e-300], n),
        "skewed": rng.lognormal(5, 3, n) * scale,
        "with_gaps": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        "whole": rng.integers(-1000, 1000, n),
        "text": rng.choice(["a", "b", "c"], n),
    }).to_csv(path, index=False)


def _analyzer(env: dict[str, str], out: Path, **job: str) -> None:
    environment = {**env, "dataset_format": json.dumps({"csv": {"header": True}}),
                   "output_path": str(out), **job}
    result = subprocess.run([sys.executable, "-m", "byom_monitor.analyzer", "--message-file",
                             str(out.with_suffix(".message"))], env=environment,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_avx2_and_avx512_kernels_write_the_same_files(tmp_path):
    """Byte for byte, baseline and check. Compares something only where the CPU has AVX-512
    (this project's CI machine does)."""
    info = Path("/proc/cpuinfo")
    if not (info.exists() and "avx512f" in info.read_text().split()):
        pytest.skip("this CPU has no AVX-512 kernels to compare with AVX2")
    _edge_dataset(tmp_path / "baseline.csv", 1.0)
    _edge_dataset(tmp_path / "current.csv", 1.5)
    kernels = {"avx512": "", "avx2": avx512_targets(np.__version__)}
    for name, setting in kernels.items():
        env = {**os.environ, VARIABLE: setting}
        _analyzer(env, tmp_path / name / "baseline", dataset_source=str(tmp_path / "baseline.csv"))
        _analyzer(env, tmp_path / name / "check", dataset_source=str(tmp_path / "current.csv"),
                  baseline_statistics=str(tmp_path / name / "baseline" / "statistics.json"),
                  baseline_constraints=str(tmp_path / name / "baseline" / "constraints.json"))
    files = sorted(p.relative_to(tmp_path / "avx512") for p in (tmp_path / "avx512").rglob("*.json"))
    assert len(files) == 5  # statistics and constraints twice, and the violations
    for file in files:
        assert (tmp_path / "avx512" / file).read_bytes() == (tmp_path / "avx2" / file).read_bytes()
    violations = json.loads((tmp_path / "avx2" / "check" / "constraint_violations.json").read_text())
    assert violations["violations"]  # the check had something to say
