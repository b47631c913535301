"""What a selector is told besides the data and its key: the learned methods' typed settings, and how PPO's
training loop runs. Baselines ignore it; the select job builds it once from the config."""

from __future__ import annotations

import dataclasses

from rlsel.agents.dqn import DQNConfig, DQNHparams
from rlsel.agents.ppo import PPOConfig, PPOHparams


@dataclasses.dataclass(frozen=True)
class ChunkedRun:
    """How the Python loop drives training: updates per jit call, checkpoints, resume, progress bar, and the
    workdir that gets the metrics log and state sample (None: none written, e.g. on processes other than 0)."""

    chunk_updates: int = 25
    checkpoint_dir: str | None = None
    resume: bool = False
    progress: bool = True
    log_dir: str | None = None


@dataclasses.dataclass(frozen=True)
class SelectorSettings:
    """PPO's static config, hyperparameters and run loop; DQN's static config and hyperparameters; and the
    run's whole config, which PPO saves with each checkpoint."""

    ppo: PPOConfig = PPOConfig()
    ppo_hparams: PPOHparams = PPOHparams()
    run: ChunkedRun = ChunkedRun()
    dqn: DQNConfig = DQNConfig()
    dqn_hparams: DQNHparams = DQNHparams()
    decode_samples: int = 0  # PPO: also sample this many episodes from the policy and keep the best
    run_config: dict = dataclasses.field(default_factory=dict)
