"""Every config field has a one-line doc, read from the comment beside it, and `--config_help` shows them."""

import pathlib
import subprocess
import sys

import pytest

from rlsel.cli import load_config_file
from rlsel.config_docs import field_docs

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "experiments" / "configs").glob("*.py"))


def leaves(tree: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in tree.items():
        out += leaves(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"]
    return out


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_field_of_every_config_has_a_doc_line(path):
    docs = field_docs(path)
    missing = [name for name in leaves(load_config_file(path).to_dict()) if not docs.get(name)]
    assert not missing, f"{path.name}: add a `# doc` comment beside {missing}"


def test_docs_are_the_comments_beside_fields_sections_and_included_files(tmp_path):
    (tmp_path / "base.py").write_text(
        "import ml_collections\n\n"
        "def get_config():\n"
        "    c = ml_collections.ConfigDict()\n"
        "    c.lr = 0.1  # step size;\n"
        "    # a second line of the same doc\n"
        "    c.bare = 1\n"
        "    c.opt = ml_collections.ConfigDict(dict(  # the optimizer\n"
        "        beta=0.9,  # momentum\n"
        "        eps=1e-8, decay=0.0,  # one comment cannot document two fields\n"
        "    ))\n"
        "    return c\n")
    (tmp_path / "top.py").write_text(
        "import pathlib\n\nfrom rlsel.cli import load_config_file\n\nHERE = pathlib.Path(__file__).parent\n\n"
        "def get_config():\n"
        "    c = load_config_file(HERE / 'base.py')\n"
        "    c.inner = load_config_file(HERE / 'base.py')  # base again, nested\n"
        "    c.inner.opt.beta = 0.5  # slower here\n"
        "    return c\n")
    assert field_docs(tmp_path / "base.py") == {"lr": "step size; a second line of the same doc",
                                                 "opt": "the optimizer", "opt.beta": "momentum"}
    docs = field_docs(tmp_path / "top.py")
    assert docs["inner"] == "base again, nested" and docs["inner.lr"] == docs["lr"]
    assert docs["inner.opt.beta"] == "momentum (slower here)" and docs["opt.beta"] == "momentum"


def _help(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "experiments" / script), "--config_help", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_config_help_lists_each_field_as_its_override_with_value_and_doc_without_other_flags():
    done = _help("compare.py")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("--select_config: ") and "experiments/configs/select.py (override" in lines[0]
    i = lines.index("  --select_config.ppo.total_timesteps=512000")
    assert lines[i + 1].strip() == field_docs(ROOT / "experiments" / "configs" / "select.py")["ppo.total_timesteps"]
    assert "  --finetune_config.train.max_length=64" in lines
    assert "(undocumented)" not in done.stdout


def test_config_help_reads_the_file_given_and_refuses_a_missing_one(tmp_path):
    (tmp_path / "mine.py").write_text("import ml_collections\n\ndef get_config():\n"
                                      "    c = ml_collections.ConfigDict(dict(\n        width=3,  # how wide\n    ))\n"
                                      "    return c\n")
    done = _help("finetune.py", f"--config={tmp_path / 'mine.py'}")
    assert done.returncode == 0 and done.stdout.splitlines()[1:] == ["  --config.width=3", "      how wide"]
    done = _help("finetune.py", f"--config={tmp_path / 'none.py'}")
    assert done.returncode == 2 and done.stderr.strip() == f"error: no config file {tmp_path / 'none.py'} for --config"
