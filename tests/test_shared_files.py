"""The compatibility tests say when they did not run, and cannot be skipped in CI."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = '''
from shared_files import shared_path

def test_needs_a_missing_reference():
    shared_path("compat", "no-such-file.json")

def test_needs_nothing():
    assert True
'''


def _run_probe(tmp_path, ci):
    """Run a probe test file with the project's conftest, outside the project's test paths."""
    for name in ("conftest.py", "shared_files.py"):
        (tmp_path / name).write_text((ROOT / "tests" / name).read_text())
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {"PATH": "/usr/bin:/bin", "CI": ci}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)


def test_without_shared_a_clean_skip_and_a_count(tmp_path):
    result = _run_probe(tmp_path, "")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert "1 test(s) skipped: reference files under" in result.stdout


def test_in_ci_a_missing_reference_fails(tmp_path):
    result = _run_probe(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed" in result.stdout
    assert "reference file not available in CI" in result.stdout
