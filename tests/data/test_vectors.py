"""Row ids trace every example to the user's file, and a file's own vectors replace the encoder, checked."""

import json

import numpy as np
import pytest

from rlsel.data.errors import DataError
from rlsel.data.prepare import PrepareConfig, prepare
from rlsel.data.sources import DatasetSpec, load_splits, spec_from_config
from rlsel.data.splits import fingerprint

LABELS = ("pos", "neg")


def _rows(n=80):
    """`n` rows with one exact duplicate and one text whose copies disagree, so dedupe shifts positions."""
    rows = [{"text": f"review {i} {'fine' if i % 2 else 'poor'}", "label": LABELS[i % 2]} for i in range(n)]
    rows[5] = dict(rows[3])
    rows[7], rows[9] = {"text": "disputed", "label": "pos"}, {"text": "disputed", "label": "neg"}
    return rows


def _write(folder, rows, vectors=None, name="data.jsonl"):
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if vectors is not None:
        np.save(path.with_suffix(".npy"), vectors)
    return path


def _vectors(n=80, dim=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def test_every_example_keeps_its_row_in_the_users_file(tmp_path):
    rows = _rows()
    splits = load_splits(str(_write(tmp_path, rows)))
    for split in splits.values():
        for text, label, row in zip(split["text"], split["label"], split["row_id"]):
            assert rows[row]["text"] == text and rows[row]["label"] == split.features["label"].names[label]
    ids = [row for split in splits.values() for row in split["row_id"]]
    assert sorted(ids) == sorted(set(range(80)) - {5, 7, 9})  # the duplicate and both disputed copies dropped


def test_vectors_beside_the_file_follow_their_rows_at_unit_length(tmp_path):
    vectors = _vectors()
    splits = DatasetSpec(str(_write(tmp_path, _rows(), vectors)), precomputed=True).load()
    for split in splits.values():
        got = np.asarray(split.with_format("numpy")["embedding"])
        want = vectors[np.asarray(split["row_id"])]
        np.testing.assert_allclose(got, want / np.linalg.norm(want, axis=1, keepdims=True), rtol=1e-6)


def test_an_embedding_column_works_in_jsonl_and_as_json_text_in_csv(tmp_path):
    vectors = _vectors(dim=3)
    rows = [{**r, "emb": v.tolist()} for r, v in zip(_rows(), vectors)]
    from_jsonl = DatasetSpec(str(_write(tmp_path, rows)), precomputed=True, embedding_column="emb").load()
    csv = tmp_path / "data.csv"
    csv.write_text("text,label,emb\n" + "".join(f'{r["text"]},{r["label"]},"{json.dumps(r["emb"])}"\n' for r in rows))
    from_csv = DatasetSpec(str(csv), precomputed=True, embedding_column="emb").load()
    assert fingerprint(from_csv) == fingerprint(from_jsonl)


def test_the_fingerprint_follows_the_vectors_and_plain_loads_keep_theirs(tmp_path):
    path = _write(tmp_path, _rows(), _vectors())
    plain = fingerprint(DatasetSpec(str(path)).load())
    first = fingerprint(DatasetSpec(str(path), precomputed=True).load())
    np.save(path.with_suffix(".npy"), _vectors(seed=1))
    second = fingerprint(DatasetSpec(str(path), precomputed=True).load())
    assert len({plain, first, second}) == 3
    assert fingerprint(DatasetSpec(str(path)).load()) == plain


def test_prepare_clusters_the_given_vectors_and_a_new_npy_is_not_served_from_the_cache(tmp_path):
    rows, vectors = _rows(), np.zeros((80, 2), np.float32)
    vectors[np.arange(80) % 2 == 0, 0] = 1.0  # two orthogonal directions, one per label
    vectors[np.arange(80) % 2 == 1, 1] = 1.0
    path = _write(tmp_path, rows, vectors)
    config = spec_from_config({"dataset": str(path), "prepare": {"embedder": "precomputed"}})
    prepare_config = PrepareConfig(data=config, embedder="precomputed", num_clusters=2, stratified=False,
                                   per_cluster=4, val_size=8, cache_dir=str(tmp_path / "cache"))
    first = prepare(prepare_config)
    np.testing.assert_array_equal(first.train_x, vectors[np.asarray(first.splits["train"]["row_id"])])
    assert len(set(first.pool.assignments[first.train_y == 0])) == 1  # each direction is one cluster
    np.save(path.with_suffix(".npy"), vectors[:, ::-1])
    second = prepare(prepare_config)
    assert second.fingerprint != first.fingerprint
    np.testing.assert_array_equal(second.train_x, first.train_x[:, ::-1])
    assert len(list((tmp_path / "cache" / "clusters").glob("*.npz"))) == 2  # clustered again, not reused


BAD = {
    "no npy": (lambda path: None, "neither was given"),
    "too few rows": (lambda path: np.save(path.with_suffix(".npy"), _vectors(79)), "has 79 rows but the data has 80"),
    "a NaN row": (lambda path: np.save(path.with_suffix(".npy"), np.where(np.arange(80)[:, None] == 4, np.nan,
                                                                          _vectors())), r"first rows, 0-based: \[4\]"),
    "one dimension": (lambda path: np.save(path.with_suffix(".npy"), np.ones(80)), "must be a 2-D array"),
    "text values": (lambda path: np.save(path.with_suffix(".npy"), np.full((80, 2), "a")), "must hold numbers"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_vectors_are_refused_with_what_is_wrong(tmp_path, case):
    path = _write(tmp_path, _rows())
    spoil, message = BAD[case]
    spoil(path)
    with pytest.raises(DataError, match=message):
        DatasetSpec(str(path), precomputed=True).load()


def test_vectors_need_a_local_file_and_a_column_needs_the_precomputed_embedder(tmp_path):
    with pytest.raises(DataError, match="come with a local data file"):
        load_splits("hf:nowhere", precomputed=True)
    with pytest.raises(DataError, match="set --config.prepare.embedder=precomputed"):
        spec_from_config({"dataset": "x.csv", "embedding_column": "emb", "prepare": {"embedder": "minilm"}})
    rows = [{**r, "emb": [1.0] * (1 + i % 2)} for i, r in enumerate(_rows())]
    with pytest.raises(DataError, match="vectors of different lengths"):
        DatasetSpec(str(_write(tmp_path, rows)), precomputed=True, embedding_column="emb").load()
