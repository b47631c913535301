"""The notebooks run top to bottom on a tiny config (their Colab setup cell skipped), and are committed clean."""

import importlib.util
import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def _load(name: str, path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_select(cache: pathlib.Path) -> dict:
    return {"cache_dir": str(cache), "budget": 0.1, "prepare.embedder": "hash", "prepare.num_clusters": 12,
            "prepare.per_cluster": 8, "prepare.val_size": 64, "prepare.reward_train": 32, "proxy.dim": 16,
            "ppo.num_envs": 4, "ppo.num_steps": 8, "ppo.total_timesteps": 4 * 8 * 6, "ppo.num_minibatches": 2,
            "ppo.update_epochs": 2, "ppo.hidden_size": 16, "ppo.chunk_updates": 3, "ppo.decode_samples": 0}


def execute(name: str, parameters: str, timeout: int = 300) -> nbformat.NotebookNode:
    """Run a notebook from the repository root with its `parameters` cell replaced and `colab-setup` dropped."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    tags = lambda cell: cell.metadata.get("tags", [])
    nb.cells = [cell for cell in nb.cells if "colab-setup" not in tags(cell)]
    (params,) = [cell for cell in nb.cells if "parameters" in tags(cell)]
    params.source = parameters
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def printed(nb: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """The quickstart on planted text: hash embeddings, tiny PPO, a tiny BERT finetune. Returns (nb, workdir)."""
    root = tmp_path_factory.mktemp("quickstart")
    planted = _load("planted_text", ROOT / "tests" / "finetune" / "planted_text.py")
    dataset = planted.write_jsonl(root / "planted.jsonl", 300, 0)
    bert = planted.write_tiny_bert_folder(root / "bert")
    finetune = {"model": str(bert), "train.min_steps": 4, "train.max_steps": 4, "train.batch_size": 8,
                "train.eval_every": 2, "train.max_length": 16}
    parameters = (f"DATASET = {str(dataset)!r}\nWORKDIR = {str(root / 'runs')!r}\nMETHODS = ['ppo', 'random']\n"
                  f"FINETUNE_METHODS = ['ppo']\nSELECT_OVERRIDES = {tiny_select(root / 'cache')!r}\n"
                  f"FINETUNE_OVERRIDES = {finetune!r}\n")
    return execute("quickstart.ipynb", parameters), root / "runs"


@pytest.mark.slow
def test_quickstart_selects_finetunes_and_reports(quickstart):
    nb, workdir = quickstart
    text = printed(nb)
    assert "ppo" in text and "random" in text and "test accuracy" in text
    assert json.loads((workdir / "ppo" / "finetune.json").read_text())["steps"] == 4
    report = (workdir / "ppo" / "report.md").read_text()
    assert "## Finetune" in report and "| steps | 4 |" in report
    images = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if "image/png" in out.get("data", {})]
    assert len(images) >= 5  # the learning curve and the report's figures


@pytest.mark.slow
def test_analysis_draws_the_exploration_of_the_quickstart_run(quickstart):
    _, workdir = quickstart
    parameters = f"DATASET = ''\nWORKDIR = {str(workdir / 'ppo')!r}\nSELECT_OVERRIDES = {{}}\n"
    nb = execute("analysis.ipynb", parameters)
    text = printed(nb)
    assert f"reusing the ppo run in {workdir / 'ppo'}" in text and "contribution" in text
    for name in ("analysis_exploration", "analysis_score_per_step"):
        assert (workdir / "ppo" / f"{name}.png").stat().st_size > 10_000


@pytest.mark.parametrize("name", ["quickstart.ipynb", "analysis.ipynb"])
def test_committed_notebooks_are_valid_without_outputs_and_tag_their_setup_cell(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    tags = [cell.metadata.get("tags", []) for cell in code]
    assert tags[0] == ["colab-setup"] and tags[1] == ["parameters"]
    for cell in code:  # plain Python (no shell magics), so the skipped setup cell is at least valid code
        compile(cell.source, f"{name} cell", "exec")
