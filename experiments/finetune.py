"""Finetune a pretrained LM classifier on a selected subset (or the full train split) and test it once.

  python experiments/finetune.py --config=experiments/configs/finetune.py --workdir=runs/ft \
      --config.selection=runs/sel/selection.json --config.model=minilm --config.seed=0 [--save_model]
"""

from absl import app, flags
from ml_collections import config_flags

from rlsel.cli import parse_flags, quiet_library_logs, run_or_exit
from rlsel.jobs.finetune import run_finetune

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Finetune config file.", lock_config=True)
flags.DEFINE_string("workdir", None, "Output folder for finetune.json and checkpoint/.")
flags.DEFINE_bool("save_model", False, "Also write workdir/model/: the model chosen on validation as a Hugging Face "
                  "folder (safetensors, config.json, tokenizer.json) for experiments/predict.py.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    del argv
    quiet_library_logs()
    record = run_or_exit(lambda: run_finetune(FLAGS.config, FLAGS.workdir, save_model=FLAGS.save_model))
    print(f"{record['model']} on {record['num_train_examples']} examples ({record['method']}): "
          f"test_accuracy {record['test_accuracy']:.4f}, test_macro_f1 {record['test_macro_f1']:.4f}, "
          f"{record['steps']} steps in {record['wall_s']:.0f}s; wrote {FLAGS.workdir}/finetune.json"
          f"{' and model/' if FLAGS.save_model else ''}")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
