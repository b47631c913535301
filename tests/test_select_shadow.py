"""experiments/select.py shares its name with the standard library's `select`: scripts beside it still work."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROBE = """
import selectors, subprocess, select
print(select.__file__)
print(hasattr(select, "select"), subprocess.run([sys.executable, "-c", "pass"]).returncode)
"""


def test_a_script_beside_it_imports_the_standard_library_module(tmp_path):
    shutil.copy(ROOT / "experiments" / "select.py", tmp_path / "select.py")
    (tmp_path / "probe.py").write_text("import sys\n" + PROBE)
    result = subprocess.run([sys.executable, str(tmp_path / "probe.py")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    where, works = result.stdout.splitlines()
    assert not where.startswith(str(tmp_path)) and works == "True 0"


MAIN_FLAG = {"predict.py": "--model"}  # the scripts that label files rather than fill a run folder


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "experiments").glob("*.py")))
def test_every_experiment_script_prints_its_help(script):
    result = subprocess.run([sys.executable, str(ROOT / "experiments" / script), "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=300)
    flag = MAIN_FLAG.get(script, "--workdir")
    assert flag in result.stdout and "Traceback" not in result.stderr, result.stderr[-2000:]
