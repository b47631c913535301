"""margin_fidelity.py reuses an earlier output's scored subsets and ranks each dataset's subsets on their own."""

import csv
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_scored_subsets_are_reused_and_each_dataset_gets_its_own_spearman(tmp_path):
    subsets, rows = [], []
    for dataset, sign in (("a", 1.0), ("b", -1.0)):
        for seed in ("0", "1"):
            for i in range(6):
                run = f"runs/{dataset}/m{i}/seed{seed}"
                subsets.append({"dataset": dataset, "seed": seed, "method": f"m{i}", "variant": "", "run": run,
                                "val_accuracy": 0.5 + 0.01 * i, "typicality": sign * i + 0.1 * int(seed)})
                rows.append({"dataset": dataset, "seed": seed, "method": f"m{i}", "variant": "", "run": run,
                             "label_noise": "0", "val_accuracy": str(0.5 + 0.01 * i)})
    (tmp_path / "scored.json").write_text(json.dumps({"subsets": subsets}))
    with open(tmp_path / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, "benchmarks/margin_fidelity.py", f"--results={tmp_path / 'results.csv'}",
                           f"--scored={tmp_path / 'scored.json'}", f"--out={out}", "--bootstrap=50"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["num_subsets"] == 24 and record["num_pairs"] == 0
    assert record["within_by_dataset"]["a"]["typicality"]["rho"] == 1.0
    assert record["within_by_dataset"]["b"]["typicality"]["rho"] == -1.0
    assert record["within"]["typicality"]["rho"] == 0.0
