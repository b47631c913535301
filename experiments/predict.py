"""Label a text file with a model saved by `experiments/finetune.py --save_model`.

  python experiments/predict.py --model=runs/ft/model --input=texts.txt --out=predictions.csv
  python experiments/predict.py --model=runs/ft/model --input=reviews.jsonl --text_column=review --out=p.jsonl
"""

from absl import app, flags

from rlsel.cli import parse_flags, quiet_library_logs, run_or_exit
from rlsel.jobs.predict import run_predict

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "A saved model folder (DIR/model of a finetune run with --save_model).")
flags.DEFINE_string("input", None, "Texts to label: .txt (one per line) or .csv/.tsv/.jsonl/.json/.parquet.")
flags.DEFINE_string("text_column", "text", "The column of texts in a table input.")
flags.DEFINE_string("out", None, "Where to write the predictions: .csv or .jsonl (row, text, label, probability).")
flags.DEFINE_integer("batch_size", 32, "Texts per forward pass.")
flags.mark_flags_as_required(["model", "input", "out"])


def main(argv):
    del argv
    quiet_library_logs()
    summary = run_or_exit(lambda: run_predict(FLAGS.model, FLAGS.input, FLAGS.out, FLAGS.text_column,
                                              FLAGS.batch_size))
    counts = ", ".join(f"{name} {n}" for name, n in summary["label_counts"].items())
    print(f"labelled {summary['num_texts']} texts ({counts}); wrote {summary['out']}")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
