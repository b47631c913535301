"""The library's layers import downward only: api -> jobs -> report -> selectors, finetune -> agents, env,
proxy -> data, models -> io and the other single-file utilities (outputs, checkpoint, parallel, workdir, resume,
cli, config_docs, metrics_log, progress)."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "rlsel"
RANK = {"io": 0, "outputs": 0, "checkpoint": 0, "parallel": 0, "workdir": 0, "resume": 0, "cli": 0,
        "metrics_log": 0, "progress": 0, "config_docs": 0,
        "data": 1, "models": 1, "proxy": 2, "env": 2, "agents": 2, "selectors": 3, "finetune": 3, "report": 4,
        "jobs": 5, "api": 6}


def imported_layers(path: pathlib.Path) -> set[str]:
    """The top-level rlsel modules or packages that `path` imports, anywhere in the file."""
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "rlsel":
            names = [f"rlsel.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        layers |= {name.split(".")[1] for name in names if name.startswith("rlsel.")}
    return layers


def test_every_module_has_a_layer():
    top = {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"} | {p.name for p in ROOT.iterdir() if p.is_dir()
                                                                        and (p / "__init__.py").exists()}
    assert top == set(RANK)


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent)
        if path.parent == ROOT and path.stem == "__init__":
            continue
        own = path.stem if path.parent == ROOT else path.relative_to(ROOT).parts[0]
        upward += [f"{relative} imports rlsel.{layer}" for layer in imported_layers(path) if RANK[layer] > RANK[own]]
    assert not upward
