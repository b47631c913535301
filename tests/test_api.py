"""rlsel.select from Python: the README's example runs as printed, indices point into the caller's texts, and
bad input fails with a clear message."""

import contextlib
import io
import json
import pathlib
import re

import numpy as np
import pytest

import rlsel
from rlsel.data.errors import DataError
from rlsel.data.sources import DatasetSpec
from rlsel.finetune.source import load_source, resolve_source

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = '''\
import numpy as np
import rlsel

# Your data: texts, their labels and, if you have them, your own embeddings (one row per text).
labels = ["pos" if i % 3 else "neg" for i in range(600)]
texts = [f"review {i}: a {'fine' if y == 'pos' else 'dull'} film" for i, y in enumerate(labels)]
vectors = np.random.default_rng(0).normal(size=(600, 32)) + 2.0 * np.array([[y == "pos"] for y in labels])

indices, record = rlsel.select(texts, labels, budget=0.05, method="typiclust", embeddings=vectors,
                               prepare={"num_clusters": 20})
chosen = [texts[i] for i in indices]  # positions in `texts`
print(f"{record['method']} chose {len(chosen)} of {record['num_train']} train texts, e.g. {chosen[0]!r}")
'''


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RLSEL_CACHE", str(tmp_path / "cache"))


def test_the_readme_example_runs_as_printed():
    readme = (ROOT / "README.md").read_text()
    if "rlsel.select(" in readme:  # once the README shows the example, it must be this one
        assert EXAMPLE.strip() in readme
    out, scope = io.StringIO(), {}
    with contextlib.redirect_stdout(out):
        exec(compile(EXAMPLE, "README example", "exec"), scope)
    indices, record, texts = scope["indices"], scope["record"], scope["texts"]
    assert re.fullmatch(r"typiclust chose \d+ of \d+ train texts, e\.g\. 'review \d+: .*'\n", out.getvalue())
    assert record["num_selected"] == len(indices) == len(set(indices.tolist())) and 0 < len(indices) <= 0.05 * 480 + 1
    assert record["config"]["prepare"]["embedder"] == "precomputed" and record["dataset_fingerprint"]


def test_indices_point_into_the_callers_texts_and_the_workdir_keeps_the_run(tmp_path):
    labels = [i % 2 for i in range(300)]
    texts = [f"text {i} {'up' if y else 'down'}" for i, y in enumerate(labels)]
    vectors = np.eye(2)[labels] + 0.01 * np.random.default_rng(1).normal(size=(300, 2))
    indices, record = rlsel.select(texts, np.asarray(labels), budget=0.1, method="random", embeddings=vectors,
                                   workdir=tmp_path / "run", progress=False, prepare={"num_clusters": 8},
                                   **{"proxy.dim": 2})
    subset = [json.loads(line) for line in (tmp_path / "run" / "subset.jsonl").read_text().splitlines()]
    assert [s["text"] for s in subset] == [texts[i] for i in indices]
    assert [s["label"] for s in subset] == [str(labels[i]) for i in indices]
    assert json.loads((tmp_path / "run" / "selection.json").read_text())["indices"] == record["indices"]
    assert (tmp_path / "run" / "data.npy").is_file() and record["config"]["proxy"]["dim"] == 2
    source = resolve_source(str(tmp_path / "run" / "selection.json"), "", DatasetSpec())
    _, train, _ = load_source(source)  # a finetune reloads the same data, vectors included: fingerprints agree
    assert source.data.precomputed and train["text"] == [s["text"] for s in subset]


@pytest.mark.parametrize("call, error, message", [
    (lambda: rlsel.select(["a", "b"], ["x"]), ValueError, "equal length"),
    (lambda: rlsel.select(["a", 3], ["x", "y"]), ValueError, r"texts\[1\] is int"),
    (lambda: rlsel.select(["a", "b"], ["x", "y"], embeddings=np.ones((3, 4))), DataError, "has 3 rows"),
    (lambda: rlsel.select(["a", "b"], ["x", "y"], embeddings=np.array([[1.0], [np.nan]])), DataError, "NaN"),
    (lambda: rlsel.select(["a", "b"], ["x", "y"], prepare={"clusters": 3}), ValueError, "no field config.prepare"),
    (lambda: rlsel.select(["a", "b"], ["x", "y"], budget="half"), ValueError, "config.budget='half'"),
])
def test_bad_input_fails_before_any_work_with_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()
