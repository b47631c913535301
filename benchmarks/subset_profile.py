"""What each finetuned subset of a comparison is made of: its share of flipped labels, its label mix, its spread.

  python benchmarks/subset_profile.py --runs=runs/compare_noise --out=results/subset_profile_noise.json

For every METHOD/seedS-HASH run under each --runs folder with a selection.json: the share of its rows whose train
label was flipped by `label_noise` (the clean labels are reloaded with the noise off), its largest label's share,
the number of distinct clusters its record names (MDP methods), its held-out proxy score (`proxy_heldout_score`
of selection.json), and the finetune's validation and test accuracy
when finetune.json exists. It explains a table of finetunes (a subset can be cleaner and still lose on coverage);
it chooses nothing.
"""

import json
import pathlib
import shlex
import sys

from absl import app, flags

from rlsel.cli import quiet_library_logs
from rlsel.report.subset_profile import profile_runs

_RUNS = flags.DEFINE_list("runs", None, "Comparison workdirs (each holds METHOD/seedS-HASH runs).", required=True)
_OUT = flags.DEFINE_string("out", None, "Output json.", required=True)


def main(argv):
    del argv
    roots = [pathlib.Path(r) for r in _RUNS.value]
    missing = [str(r) for r in roots if not r.is_dir()]
    if missing:
        raise app.UsageError(f"--runs folders not found: {', '.join(missing)}")
    quiet_library_logs()
    rows = profile_runs(roots)
    if not rows:
        raise app.UsageError(f"no METHOD/seedS-HASH/selection.json under {', '.join(map(str, roots))}")
    out = pathlib.Path(_OUT.value)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": shlex.join(["python", *sys.argv]), "runs": rows}, indent=2) + "\n")
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    app.run(main)
