"""Choose numpy's CPU kernels before numpy loads: its AVX2 kernels on AMD Zen 4.

numpy sorts with x86-simd-sort. Its AVX-512 partition step stores with a memory-destination
``vcompresspd``, which Zen 4 runs in microcode (numpy/x86-simd-sort issue 6; Zen 5 fixed it).
There ``np.sort`` of 500,000 floats takes 27 ms with AVX-512 and 4.8 ms with AVX2 (measured on
the development machine, an EPYC of family 0x19). The KLL sketch sorts every numeric column, so
on Zen 4 the data-quality job spends about a quarter of its CPU time less with AVX2.

The results do not change: sorting yields the same values with either kernel, and
statistics.json, constraints.json, constraint_violations.json and the metrics were compared
byte for byte on five datasets, and the model-quality, bias and explainability results on the
example's data (a test repeats the data-quality comparison on a generated dataset).

numpy reads ``NPY_DISABLE_CPU_FEATURES`` once, when it is imported, so only a program's entry
point can choose; ``python -m byom_monitor.analyzer`` and ``byom-monitor`` call
:func:`prefer_avx2_on_zen4` first, and the example's notebook runner sets it for its kernels.
A user who sets the variable (empty included) decides.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import MutableMapping
from pathlib import Path

VARIABLE = "NPY_DISABLE_CPU_FEATURES"
#: numpy's names for its AVX-512 dispatch targets: grouped since numpy 2.4 (where the older,
#: separate names raise an ImportWarning), separate before.
_GROUPED_TARGETS = "X86_V4 AVX512_ICL AVX512_SPR"
_SEPARATE_TARGETS = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
#: AMD's family of Zen 3 and Zen 4; of the two, only Zen 4 has AVX-512.
_ZEN4_FAMILY = 0x19


def is_zen4(cpuinfo: str) -> bool:
    """Whether ``/proc/cpuinfo``'s text describes an AMD Zen 4 processor."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the first processor is enough
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return (fields.get("vendor_id") == "AuthenticAMD"
            and fields.get("cpu family", "").isdigit()
            and int(fields["cpu family"]) == _ZEN4_FAMILY
            and "avx512f" in fields.get("flags", "").split())


def avx512_targets(numpy_version: str) -> str:
    """The value of ``NPY_DISABLE_CPU_FEATURES`` that turns off the AVX-512 kernels."""
    major, minor = (int(part) for part in numpy_version.split(".")[:2])
    return _GROUPED_TARGETS if (major, minor) >= (2, 4) else _SEPARATE_TARGETS


def prefer_avx2_on_zen4(environ: MutableMapping[str, str] | None = None,
                        cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """On Zen 4, set ``NPY_DISABLE_CPU_FEATURES`` to numpy's AVX-512 targets, unless the
    variable is set; whether it set it. ``environ`` is a process's environment to be started
    with; by default this process's, and then only while numpy is not loaded (later it would
    not take effect). Worker processes inherit the variable."""
    if environ is None:
        if "numpy" in sys.modules:
            return False
        environ = os.environ
    if VARIABLE in environ:
        return False
    try:
        if not is_zen4(cpuinfo.read_text()):
            return False
        targets = avx512_targets(_numpy_version())
    except (OSError, ValueError, LookupError):  # not Linux; numpy not found
        return False
    environ[VARIABLE] = targets
    return True


def _numpy_version() -> str:
    """The installed numpy's version, read from its ``version.py`` without importing numpy
    (``importlib.metadata`` would add 30 ms to the analyzer's start-up); LookupError if not
    found."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        raise LookupError("numpy is not installed")
    text = Path(spec.origin).with_name("version.py").read_text()
    found = re.search(r"^version\b[^=\n]*=\s*['\"]([^'\"]+)", text, re.MULTILINE)
    if found is None:
        raise LookupError("numpy/version.py does not name a version")
    return found.group(1)
