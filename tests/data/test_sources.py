"""The dataset entry point: built-in sets, local files, hf: specs, splits, and error messages."""

import json
import re

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rlsel.data.errors import DataError
from rlsel.data.sources import DatasetSpec, load_splits, spec_from_config
from rlsel.data.splits import dedupe_splits, fingerprint


def _rows(n=60):
    return [{"sentence": f"example number {i} {'good' if i % 2 else 'bad'}", "y": "pos" if i % 2 else "neg"}
            for i in range(n)]


def _texts(dd, split):
    return set(dd[split]["text"])


@pytest.fixture(scope="module")
def movie():
    return load_splits("movie_sentences", seed=0)


def test_movie_sentences_is_binary_with_three_disjoint_splits(movie):
    assert movie["train"].features["label"].names == ["negative", "positive"]
    assert len(movie["train"]) > 7000 and len(movie["validation"]) > 700 and len(movie["test"]) > 700
    assert not _texts(movie, "train") & _texts(movie, "test")
    assert not _texts(movie, "train") & _texts(movie, "validation")
    assert not _texts(movie, "validation") & _texts(movie, "test")


def test_spec_from_select_finetune_and_recorded_configs(select_config, movie):
    select_config.dataset, select_config.label_column, select_config.prepare.split_seed = "reuters8", "topic", 3
    spec = spec_from_config(select_config)
    assert spec == DatasetSpec("reuters8", "text", "topic", None, 3, 0.1, 0.1)
    assert spec_from_config(select_config.to_dict()) == spec  # as a selection.json records it
    finetune_full = {"dataset": "", "hf_config": "", "prepare": {"split_seed": 0}}
    assert spec_from_config(finetune_full) == DatasetSpec()  # empty dataset: the default one
    assert spec_from_config({**finetune_full, "encoding": "latin-1"}).encoding == "latin-1"
    assert fingerprint(DatasetSpec().load()) == fingerprint(movie)


def test_splits_are_deterministic_by_seed(movie):
    again = load_splits("movie_sentences", seed=0)
    other = load_splits("movie_sentences", seed=1)
    assert fingerprint(again) == fingerprint(movie)
    assert fingerprint(other) != fingerprint(movie)
    assert len(other["train"]) == len(movie["train"])


def test_source_test_split_is_kept_and_duplicates_never_cross():
    dd = load_splits("reuters8")
    assert len(dd["test"]) > 2000  # the source's own test split, deduplicated
    assert not _texts(dd, "train") & _texts(dd, "test")
    assert len(dd["train"].features["label"].names) == 8


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_local_files_with_custom_columns(tmp_path, suffix):
    rows = _rows()
    rows.append(dict(rows[0]))  # an exact duplicate is dropped
    path = tmp_path / f"data{suffix}"
    ds = datasets.Dataset.from_list(rows)
    {".csv": ds.to_csv, ".jsonl": ds.to_json, ".parquet": ds.to_parquet}[suffix](str(path))
    dd = load_splits(str(path), text_column="sentence", label_column="y", seed=3)
    assert sum(len(dd[s]) for s in dd) == 60
    assert dd["train"].features["label"].names == ["neg", "pos"]
    first = dd["train"][0]
    assert ("good" in first["text"]) == (dd["train"].features["label"].int2str(first["label"]) == "pos")


def test_hf_spec_loads_through_datasets_load_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    folder = tmp_path / "my_hf_dataset"
    folder.mkdir()
    datasets.Dataset.from_list(_rows(40)).to_json(str(folder / "train.jsonl"))
    datasets.Dataset.from_list(_rows(10)[::-1]).to_json(str(folder / "test.jsonl"))
    dd = load_splits(f"hf:{folder}", text_column="sentence", label_column="y")
    assert len(dd["test"]) == 10
    assert not _texts(dd, "train") & _texts(dd, "test")
    assert len(dd["train"]) + len(dd["validation"]) == 30


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: str(d / "nope.csv"), "does not exist"),
        (lambda d: _write_jsonl(d / "a.txt", _rows()), "unsupported file format"),
        (lambda d: _write_jsonl(d / "a.jsonl", [{"text": r["sentence"], "y": r["y"]} for r in _rows()]),
         "no column 'sentence'"),
        (lambda d: _write_jsonl(d / "a.jsonl", [{"sentence": r["sentence"], "y": "one"} for r in _rows()]),
         "at least two classes"),
        (lambda d: _write_jsonl(d / "a.jsonl", _rows()[:5] + [{"sentence": "  ", "y": "pos"}]), "empty text"),
        (lambda d: "not_a_dataset", "unknown dataset"),
    ],
)
def test_bad_input_gives_clear_errors(tmp_path, make, message):
    with pytest.raises(DataError, match=message):
        load_splits(make(tmp_path), text_column="sentence", label_column="y")


def _write_csv(path, rows, header="text,label"):
    path.write_text(header + "\n" + "".join(f"{text},{label}\n" for text, label in rows))
    return str(path)


def test_texts_with_conflicting_labels_are_dropped_everywhere_and_reported(tmp_path, caplog):
    rows = [(f"film number {i}", "pos" if i % 2 else "neg") for i in range(40)]
    rows += [("film number 1", "pos"), ("a disputed film", "pos"), ("a disputed film", "neg")]
    with caplog.at_level("WARNING"):
        dd = load_splits(_write_csv(tmp_path / "d.csv", rows))
    texts = [t for s in dd for t in dd[s]["text"]]
    assert "a disputed film" not in texts
    assert texts.count("film number 1") == 1 and len(texts) == 40
    assert "dropped 1 texts (2 rows) whose copies have conflicting labels, and 1 duplicate rows" in caplog.text


def test_dedupe_report_counts_conflicts_across_a_given_test_split():
    splits, report = dedupe_splits((["a", "b", "b", "c"], ["x", "y", "y", "x"]), (["c", "d"], ["y", "x"]), None)
    assert splits == {"test": (["d"], ["x"]), "train": (["a", "b"], ["x", "y"])}
    assert (report.conflicting_texts, report.conflicting_rows, report.duplicate_rows) == (1, 2, 1)


def _latin1_file(folder, suffix):
    """60 good rows and, last, one row whose text holds a latin-1 byte (\\xe9) that is not valid UTF-8."""
    rows = [(r["sentence"], r["y"]) for r in _rows()] + [("caf\xe9 film", "pos")]
    path = folder / f"latin1{suffix}"
    if suffix == ".parquet":
        texts = [text.encode("latin-1") for text, _ in rows]
        pq.write_table(pa.table({"text": pa.array(texts, pa.binary()), "label": [y for _, y in rows]}), path)
    elif suffix in (".csv", ".tsv"):
        sep = "," if suffix == ".csv" else "\t"
        path.write_bytes(f"text{sep}label\n".encode() + b"".join(f"{t}{sep}{y}\n".encode("latin-1") for t, y in rows))
    else:
        records = [json.dumps({"text": t, "label": y}, ensure_ascii=False) for t, y in rows]
        body = "[" + ",\n".join(records) + "]" if suffix == ".json" else "\n".join(records)
        path.write_bytes(body.encode("latin-1"))
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".json", ".parquet"])
def test_non_utf8_text_is_refused_naming_file_and_row_or_decoded_with_an_explicit_encoding(tmp_path, suffix):
    path = _latin1_file(tmp_path, suffix)
    message = rf"{re.escape(str(path))}: row 61 of column 'text' is not valid utf-8 .*--config.encoding"
    with pytest.raises(DataError, match=message):
        load_splits(str(path))
    dd = DatasetSpec(str(path), encoding="latin-1").load()
    assert "caf\xe9 film" in [t for s in dd for t in dd[s]["text"]]


def test_json_file_holding_an_array_of_records_is_read_as_records(tmp_path):
    path = tmp_path / "records.json"
    path.write_text(json.dumps([{"text": f"film {i}", "label": i % 2} for i in range(40)]))
    dd = load_splits(str(path))
    assert sum(len(dd[s]) for s in dd) == 40 and dd["train"].features["label"].names == ["0", "1"]


@pytest.mark.parametrize("content, message", [
    ({"text": ["a", "b"], "label": [0, 1]}, "holds a single JSON object; expected an array of records"),
    (["a", "b"], "record 1 is a JSON string; expected an array of records"),
    ([{"text": ["a list"], "label": 0}], "row 1 of column 'text' holds a list, not a single value"),
])
def test_json_that_is_not_a_table_names_the_file_and_the_expected_shape(tmp_path, content, message):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(content))
    with pytest.raises(DataError, match=f"{re.escape(str(path))}.*{message}"):
        load_splits(str(path))


def test_unknown_encoding_is_refused_with_examples_of_valid_ones(tmp_path):
    path = _write_csv(tmp_path / "d.csv", [("a", "x"), ("b", "y")])
    with pytest.raises(DataError, match="unknown text encoding 'klingon'.*; pass a Python codec name such as utf-8"):
        load_splits(path, encoding="klingon")
