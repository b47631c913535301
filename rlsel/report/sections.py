"""The sections of a run report; each returns blocks, and says in a sentence why it is empty when it is."""

from __future__ import annotations

import pathlib
from typing import Callable, Sequence

import numpy as np

from rlsel.report import plots
from rlsel.report.document import Block, Bullets, Figure, Heading, Table, Text
from rlsel.report.exploration import STATES_FILE, States, exploration_figure
from rlsel.report.projection import pca_2d
from rlsel.report.regions import Region, build_up
from rlsel.report.runlog import Series
from rlsel.selectors.context import SelectionContext

Saver = Callable[[object, str], str]  # (figure, file stem) -> path relative to the report
MAX_CARDS = 24
STEP_NAMES = {"ppo": "update", "dqn": "environment step"}  # what a logged step counts, per method
SCORE_TOLERANCE = 1e-3  # rebuilt vs recorded proxy score of the subset


def _num(value, digits: int = 4) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "–" if value is None else str(value)


def _mix(counts: np.ndarray, names: Sequence[str]) -> str:
    total = max(int(counts.sum()), 1)
    return ", ".join(f"{names[k]} {n / total:.0%}" for k, n in sorted(enumerate(counts), key=lambda kv: -kv[1]) if n)


def summary(record: dict) -> list[Block]:
    timings = record.get("timings") or {}
    rows = [("method", record.get("method")), ("dataset", record.get("dataset")),
            ("budget", record.get("budget")), ("label noise", record.get("label_noise")),
            ("examples chosen", f"{record.get('num_selected')} of {record.get('num_train')} train examples"),
            ("regions (clusters) named by the method", "–" if record.get("clusters") is None
             else len(record["clusters"])),
            ("proxy reward score (empty subset)", f"{_num(record.get('proxy_val_score'))} "
                                                  f"({_num(record.get('proxy_empty_score'))})"),
            ("proxy held-out accuracy", _num(record.get("proxy_heldout_score"))),
            ("episode return", _num(record.get("episode_return"))), ("seed", record.get("seed")),
            ("stage seconds", ", ".join(f"{k} {v:.1f}" for k, v in timings.items()) or "–")]
    return [Table(("field", "value"), tuple((k, _num(v)) for k, v in rows))]


def learning_curve(series: Series, source: str, method: str, save: Saver) -> list[Block]:
    blocks: list[Block] = [Heading("Learning curve")]
    if not series:
        return blocks + [Text(f"`{method}` logged no per-update metrics (neither metrics.jsonl nor a `curve` in "
                              f"selection.json): it trains no policy, so there is no learning curve.")]
    xlabel = STEP_NAMES.get(method, "logged step")
    path = save(plots.series_figure(series, f"{method}: training progress (from {source})", xlabel), "learning")
    return blocks + [Figure(path, f"Training metrics of {method} per {xlabel}, read from {source}.")]


def score_per_step(ctx: SelectionContext, ordered: list[Region], record: dict, save: Saver) -> list[Block]:
    scores = build_up(ctx, ordered)
    method = record.get("method")
    path = save(plots.build_up_figure(scores, ordered, method), "score_per_step")
    blocks: list[Block] = [
        Heading("Score per step"),
        Text(f"The closed-form proxy's reward score of the subset rebuilt one region at a time, the region that "
             f"adds most first: from {scores[0]:.4f} (empty) to {scores[-1]:.4f} after {len(ordered)} regions. "
             f"Each step's bar is the reward that addition earns."),
        Figure(path, "Proxy reward score per step as the chosen regions are added.")]
    recorded = record.get("proxy_val_score")
    if isinstance(recorded, (int, float)) and abs(recorded - scores[-1]) > SCORE_TOLERANCE:
        blocks.append(Text(f"Note: the run recorded a proxy reward score of {recorded:.4f} for this subset, the "
                           f"rebuilt proxy gives {scores[-1]:.4f}: the run's config lacks settings added since, "
                           f"which take today's defaults. Read this report's proxy scores as relative."))
    return blocks


def embedding(ctx: SelectionContext, indices: np.ndarray, method: str, save: Saver) -> list[Block]:
    p = ctx.prepared
    xy, share = pca_2d(p.train_x)
    title = f"{method}: {len(indices)} chosen of {len(xy)} train examples (PCA, {share.sum():.0%} of variance)"
    path = save(plots.embedding_figure(xy, p.train_y, indices, p.class_names, title), "embedding")
    return [Heading("The subset in embedding space"),
            Figure(path, "The chosen examples (coloured by label) against the whole train split (grey), on the "
                         "first two principal components of the sentence embeddings.")]


def label_mix(ctx: SelectionContext, indices: np.ndarray, save: Saver) -> list[Block]:
    p = ctx.prepared
    train, subset = (np.bincount(y, minlength=p.num_classes) for y in (p.train_y, p.train_y[indices]))
    path = save(plots.label_mix_figure(train, subset, p.class_names), "label_mix")
    rows = tuple((name, str(train[k]), f"{train[k] / train.sum():.3f}", str(subset[k]),
                  f"{subset[k] / max(subset.sum(), 1):.3f}") for k, name in enumerate(p.class_names))
    return [Heading("Label mix"), Table(("label", "train", "train share", "subset", "subset share"), rows),
            Figure(path, "Share of each label in the train split and in the subset.")]


def region_cards(ordered: list[Region], class_names: Sequence[str], named_by_method: bool,
                 save: Saver) -> list[Block]:
    how = ("the clusters the method chose from" if named_by_method else
           "this method picks examples, not clusters: its examples grouped by the prepared clusters")
    blocks: list[Block] = [
        Heading("Regions"),
        Text(f"{len(ordered)} regions ({how}). Contribution: the proxy's reward score of the whole subset minus "
             f"its score without that region's chosen examples."),
        Figure(save(plots.regions_figure(ordered), "regions"), "Examples chosen per region and each region's "
                                                               "reward contribution."),
        Table(("region", "chosen", "cluster size", "contribution", "chosen labels"),
              tuple((str(r.cluster), str(len(r.chosen)), str(r.size), f"{r.contribution:+.4f}",
                     _mix(r.chosen_counts, class_names)) for r in ordered)),
    ]
    for r in ordered[:MAX_CARDS]:
        blocks += [Heading(f"Region {r.cluster}: {len(r.chosen)} of {r.size} examples chosen", 3),
                   Bullets((f"reward contribution: {r.contribution:+.4f}",
                            f"label mix of the cluster: {_mix(r.label_counts, class_names)}",
                            f"label mix of the chosen examples: {_mix(r.chosen_counts, class_names)}",
                            f"top terms: {', '.join(r.top_terms) or '(none)'}")),
                   Text("Chosen examples nearest the cluster's centre:"),
                   Bullets(tuple(" ".join(t.split())[:300] for t in r.examples))]
    if len(ordered) > MAX_CARDS:
        rest = ordered[MAX_CARDS:]
        blocks.append(Text(f"Cards show the {MAX_CARDS} regions that contribute most; the other {len(rest)} "
                           f"({sum(len(r.chosen) for r in rest)} examples) are in the table above."))
    return blocks


def exploration(states: States | None, ctx: SelectionContext, record: dict, save: Saver) -> list[Block]:
    blocks: list[Block] = [Heading("Exploration during training")]
    if states is None:
        return blocks + [Text(f"No {STATES_FILE} in the run folder: only PPO runs save the states they explore, "
                              f"so there is nothing to picture for `{record.get('method')}`.")]
    chunks = np.asarray(ctx.env_params.num_chunks)
    fig = exploration_figure(states, chunks, record.get("clusters") or (), f"{record.get('method')}: states "
                             f"sampled from updates {states.update.min()} to {states.update.max()}")
    return blocks + [Figure(save(fig, "exploration"), "Left: the explored states (chunks taken per cluster) on "
                            "two principal axes, coloured by proxy score. Middle: mean reward per episode step, "
                            "early and late in training. Right: how often each region was in a late state.")]


def finetune(result: dict, series: Series, source: str, save: Saver) -> list[Block]:
    fields = ("model", "num_train_examples", "test_accuracy", "test_macro_f1", "val_accuracy", "best_step",
              "steps", "wall_s")
    blocks: list[Block] = [Heading("Finetune"),
                           Table(("field", "value"), tuple((f, _num(result.get(f))) for f in fields))]
    if not series:
        return blocks + [Text("The finetune logged no per-step metrics (no metrics.jsonl finetune stage and no "
                              "history in finetune.json), so there is no training curve.")]
    path = save(plots.series_figure(series, f"finetune of {result.get('model')} (from {source})", "step"), "finetune")
    return blocks + [Figure(path, f"Finetune metrics per step, read from {source}.")]


def relative_saver(folder: pathlib.Path, report_dir: pathlib.Path) -> Saver:
    """Save figures as PNGs under `folder`, returning their paths relative to the report's folder."""
    def save(fig, stem: str) -> str:
        path = folder / f"{stem}.png"
        plots.save(fig, path)
        return path.relative_to(report_dir).as_posix()
    return save
