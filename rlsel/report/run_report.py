"""A select run's report (and its finetune's, when one exists): report.md, report.html and report_plots/.

Sections that need the prepared data (score per step, 2-D picture, label mix, regions) read a `SelectionContext`
rebuilt from the run's config; without one they are replaced by a sentence saying why.
"""

from __future__ import annotations

import json
import pathlib
import shutil

import numpy as np

from rlsel.report import document, sections
from rlsel.report.document import Block, Heading, Text
from rlsel.report.exploration import load_states
from rlsel.report.regions import regions
from rlsel.report.runlog import finetune_history, learning_series, read_metrics
from rlsel.selectors.context import SelectionContext
from rlsel.workdir import check_ours, check_writable, commit, fresh_folder, staging

PLOTS = "report_plots"
OUTPUTS = (PLOTS, "report.html", "report.md")  # the record-like file last


def read_record(path: pathlib.Path, what: str) -> dict:
    """A JSON object from `path`, or a ValueError saying what is wrong with it."""
    if not path.is_file():
        raise ValueError(f"no {path.name} in {path.parent}: {what}")
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); rerun the step that writes it") from None
    if not isinstance(record, dict) or (path.name == "selection.json" and "indices" not in record):
        raise ValueError(f"{path} is not a selection record (no `indices`); pass a select run's --workdir")
    return record


def context_problem(ctx: SelectionContext, record: dict) -> str:
    """Why `ctx` does not describe the run's data ("" when it does)."""
    fp = record.get("dataset_fingerprint")
    if fp and ctx.prepared.fingerprint != fp:
        return (f"the dataset now loads with fingerprint {ctx.prepared.fingerprint}, not the run's {fp}: "
                f"it changed since the run")
    if len(ctx.prepared.train_y) != record.get("num_train", len(ctx.prepared.train_y)):
        return "the train split no longer has the run's number of examples"
    return ""


def _data_sections(workdir: pathlib.Path, ctx: SelectionContext, record: dict, save: sections.Saver) -> list[Block]:
    indices = np.asarray(record["indices"], np.int64)
    method = record.get("method", "?")
    if not len(indices):
        return [Heading("The subset"), Text("The subset is empty: nothing to picture.")]
    ordered = regions(ctx, indices)
    return (sections.score_per_step(ctx, ordered, record, save) + sections.embedding(ctx, indices, method, save)
            + sections.label_mix(ctx, indices, save)
            + sections.region_cards(ordered, ctx.prepared.class_names, record.get("clusters") is not None, save)
            + sections.exploration(load_states(workdir), ctx, record, save))


def build(workdir: pathlib.Path, record: dict, ctx: SelectionContext | None, no_ctx_reason: str,
          finetune_dir: pathlib.Path | None, save: sections.Saver) -> list[Block]:
    method = record.get("method", "?")
    blocks: list[Block] = [Heading(f"{method} selection on {record.get('dataset')}", 1),
                           Text(f"Run folder: {workdir}"), *sections.summary(record)]
    series, source = learning_series(record, read_metrics(workdir))
    blocks += sections.learning_curve(series, source, method, save)
    if ctx is None:
        blocks += [Heading("Subset sections skipped"),
                   Text(f"Score per step, the 2-D picture, the label mix, the region cards and the exploration "
                        f"need the run's prepared data, which could not be rebuilt: {no_ctx_reason}.")]
    else:
        blocks += _data_sections(workdir, ctx, record, save)
    finetune_json = (finetune_dir or workdir) / "finetune.json"
    if finetune_json.is_file():
        result = read_record(finetune_json, "")
        logged = read_metrics(finetune_json.parent).get("finetune", {})
        series, source = (logged, "metrics.jsonl") if logged else (finetune_history(result), "finetune.json")
        blocks += sections.finetune(result, series, source, save)
    else:
        blocks += [Heading("Finetune"), Text(f"No finetune.json in {finetune_json.parent}: this run was not "
                                             f"finetuned (pass --finetune_dir for a finetune run elsewhere).")]
    return blocks


def write_report(workdir: pathlib.Path, record: dict, ctx: SelectionContext | None, no_ctx_reason: str = "",
                 finetune_dir: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Write the report files into `workdir` as one unit; returns the PNGs written."""
    workdir = pathlib.Path(workdir)
    check_writable(workdir, "--workdir")
    check_ours(workdir / PLOTS)
    staged = staging(workdir)
    try:
        fresh_folder(staged / PLOTS)
        save = sections.relative_saver(staged / PLOTS, staged)
        blocks = build(workdir, record, ctx, no_ctx_reason, finetune_dir, save)
        title = f"rlsel report: {record.get('method')} on {record.get('dataset')}"
        (staged / "report.md").write_text(document.to_markdown(blocks))
        (staged / "report.html").write_text(document.to_html(blocks, title))
    except BaseException:
        shutil.rmtree(staged)
        raise
    commit(staged, list(OUTPUTS))
    return sorted((workdir / PLOTS).glob("*.png"))
