"""Shared behaviour of the experiment scripts: quiet library logs, a --quiet flag, and bad input as one clear line.

Every failure the scripts foresee prints one `error: ...` line on stderr (no traceback) and exits with:
  2  usage error: what the user gave is wrong, so nothing ran or no output was written: a flag or config
     value, the dataset or selection file, a --workdir or cache folder that is not a writable folder or
     holds a folder rlsel did not make, a --resume that would not continue the saved run, or no readable
     checkpoint to resume from (`ValueError`, of which `DataError` is one; flag parsing via `parse_flags`).
  1  runtime failure: the input was fine but the file system failed while the run worked, e.g. a full disk
     or files removed underneath it (`OSError`); any output already published stays whole.
"""

from __future__ import annotations

import os
import pathlib
import re
import sys
from typing import TYPE_CHECKING, Callable, NoReturn, TypeVar

from absl import flags, logging

from rlsel import progress
from rlsel.config_docs import describe_config, field_docs

if TYPE_CHECKING:
    import ml_collections

T = TypeVar("T")


flags.DEFINE_bool("config_help", False, "Print every field of the script's config files with its value and a one-line "
                  "doc, then exit (the file given by the config flag, else experiments/configs/SCRIPT.py).")
flags.DEFINE_bool("quiet", False, "Hide progress (bars for embedding, PPO and finetune; K-Means lines), e.g. in batch "
                  "jobs; results, warnings and errors still print.")


def quiet_library_logs() -> None:
    """Hide INFO chatter (orbax, XLA backends, datasets progress bars) unless --verbosity was given, and with
    --quiet rlsel's own progress too. Every script calls it first."""
    import datasets

    if not flags.FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)
    datasets.disable_progress_bars()
    progress.set_enabled(not flags.FLAGS.quiet)


def run_or_exit(job: Callable[[], T]) -> T:
    """Run `job`; bad input (ValueError) exits 2 and a file-system failure (OSError) exits 1, each as one
    `error: ...` line (see the module docstring)."""
    try:
        return job()
    except ValueError as err:
        _exit(str(err), 2)
    except OSError as err:
        _exit(f"file system failure while running: {err.strerror or err}"
              f"{f': {err.filename}' if err.filename else ''}", 1)


def parse_flags(argv: list[str]) -> list[str]:
    """absl's flag parsing for `app.run(main, flags_parser=parse_flags)`, a bad flag being a usage error (2);
    `--config_help` prints the config fields and exits 0 before required flags are checked."""
    if {"--config_help", "-config_help"} & set(argv):
        try:
            print(config_help(argv), flush=True)
        except BrokenPipeError:  # the reader stopped early, e.g. `| head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    try:
        return flags.FLAGS(argv)
    except flags.Error as err:
        _exit(f"{' '.join(str(err).split())} (--helpfull lists the flags)", 2)
    except (AttributeError, KeyError) as err:  # ml_collections: a --config.FIELD override names no field
        field, hint = re.search(r"'(\w+)", str(err)), re.search(r'Did you mean "(\w+)"', str(err))
        _exit(f"no config field {field[1] if field else str(err)!r} to override"
              f"{f' (did you mean {hint[1]!r}?)' if hint else ''}; the config file lists the fields", 2)


def _exit(message: str, status: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(status)


def config_help(argv: list[str]) -> str:
    """The fields of each config file flag of the running script, read from the file named on the command line,
    else the flag's default, else the script folder's configs/NAME.py (NAME: the script's for --config, else the
    flag's name less `_config`)."""
    from ml_collections.config_flags.config_flags import ConfigFileFlagParser

    script, blocks = pathlib.Path(argv[0]), []
    for flag in (flags.FLAGS[name] for name in flags.FLAGS):
        if not isinstance(flag.parser, ConfigFileFlagParser):
            continue
        named = next((a.split("=", 1)[1] for a in argv if a.startswith(f"--{flag.name}=")), None)
        default = flag.default_as_str.strip("'") if flag.default is not None else None
        stem = script.stem if flag.name == "config" else flag.name.removesuffix("_config")
        path = pathlib.Path(named or default or script.parent / "configs" / f"{stem}.py")
        if not path.is_file():
            _exit(f"no config file {path} for --{flag.name}", 2)
        blocks.append(describe_config(flag.name, path, load_config_file(path), field_docs(path)))
    return "\n\n".join(blocks) or f"{script.name} takes no config file."


def load_config_file(path) -> "ml_collections.ConfigDict":
    """`get_config()` of a config file, loaded by path (as `--config=PATH` does), not by import."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"rlsel_config_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def parse_override(item: str, config: "ml_collections.ConfigDict") -> tuple[str, object]:
    """`FIELD=VALUE` naming a (dotted) field of `config`, VALUE cast to the field's current type."""
    field, sep, text = item.partition("=")
    node = config
    for name in field.split("."):
        if sep != "=" or not hasattr(node, "keys") or name not in node:
            raise ValueError(f"override {item!r} is not FIELD=VALUE of a config field")
        node = node[name]
    if hasattr(node, "keys"):
        raise ValueError(f"override {item!r}: {field} is a group of fields; name one of them")
    if isinstance(node, bool):
        if text.lower() not in ("true", "false"):
            raise ValueError(f"override {item!r}: {field} is a boolean, give true or false")
        return field, text.lower() == "true"
    try:
        return field, type(node)(text)
    except ValueError:
        raise ValueError(f"override {item!r}: {field} takes a value of type {type(node).__name__}") from None
