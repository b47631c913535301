"""What a selector is told besides the data and its key: the learned and searching methods' typed settings, and
how PPO's training loop runs. Baselines ignore it; the select job builds it once from the config."""

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
class ClimbConfig:
    """climb_disc: score `init_states` random MDP states, then for `rounds` rounds fit the state-to-score ridge
    (penalty `ridge`), mutate the `parents` best scored states into `candidates` (each drops 1..`max_moves`
    chunks and refills at random) and score the `per_round` best predicted ones."""

    init_states: int = 64
    rounds: int = 8
    per_round: int = 32
    parents: int = 8
    candidates: int = 512
    max_moves: int = 4
    ridge: float = 1.0

    def __post_init__(self):
        for name in ("init_states", "per_round", "parents", "candidates", "max_moves"):
            if getattr(self, name) < 1:
                raise ValueError(f"climb.{name} must be >= 1; got {getattr(self, name)}")
        if self.rounds < 0 or self.ridge <= 0:
            raise ValueError(f"climb.rounds must be >= 0 and climb.ridge > 0; got {self.rounds}, {self.ridge}")


@dataclasses.dataclass(frozen=True)
class DynaConfig:
    """dyna_ppo: `rounds` times, play `real_episodes` policy episodes on the real proxy, refit the state-to-score
    ridge (penalty `ridge`) on every state seen, then run PPO's next share of updates on the model alone."""

    rounds: int = 8
    real_episodes: int = 16
    ridge: float = 1.0

    def __post_init__(self):
        if self.rounds < 1 or self.real_episodes < 1 or self.ridge <= 0:
            raise ValueError(f"dyna.rounds and dyna.real_episodes must be >= 1 and dyna.ridge > 0; got "
                             f"{self.rounds}, {self.real_episodes}, {self.ridge}")


WARM_SOURCES = ("greedy", "climb_disc", "random_clusters")  # methods whose subset is a state of the MDP


@dataclasses.dataclass(frozen=True)
class WarmStart:
    """A learned selector's warm start (`agent`: its config section): `source` names a cheaper search (empty:
    none) whose subset the policy is cloned on for `steps` Adam steps before training; the better of the
    policy's subset and the source's is kept."""

    source: str = ""
    steps: int = 300
    agent: str = "ppo"

    def __post_init__(self):
        if self.source and self.source not in WARM_SOURCES:
            raise ValueError(f"{self.agent}.warm_start '{self.source}' is not a search that returns an MDP state; "
                             f"choose one of {', '.join(WARM_SOURCES)} (or '' for none)")
        if self.steps < 1:
            raise ValueError(f"{self.agent}.warm_steps must be >= 1; got {self.steps}")


@dataclasses.dataclass(frozen=True)
class SelectorSettings:
    """PPO's static config, hyperparameters, run loop and warm start; DQN's static config, hyperparameters and
    warm start; climb_disc's and dyna_ppo's settings; and the run's whole config, which PPO saves with each
    checkpoint."""

    ppo: PPOConfig = PPOConfig()
    ppo_hparams: PPOHparams = PPOHparams()
    run: ChunkedRun = ChunkedRun()
    dqn: DQNConfig = DQNConfig()
    dqn_hparams: DQNHparams = DQNHparams()
    dqn_warm: WarmStart = WarmStart(steps=1000, agent="dqn")
    decode_samples: int = 0  # PPO: also sample this many episodes from the policy and keep the best
    warm: WarmStart = WarmStart()
    climb: ClimbConfig = ClimbConfig()
    dyna: DynaConfig = DynaConfig()
    run_config: dict = dataclasses.field(default_factory=dict)
