"""The one place a job's ml_collections config becomes typed, frozen settings; nothing the jobs call reads it."""

from __future__ import annotations

import dataclasses

import ml_collections

from rlsel.agents.dqn import DQNConfig, DQNHparams
from rlsel.agents.ppo import PPOConfig, PPOHparams
from rlsel.data.prepare import PrepareConfig
from rlsel.data.sources import DatasetSpec, spec_from_config
from rlsel.env.selection import SelectionEnvConfig
from rlsel.finetune.backbones import model_family
from rlsel.finetune.config import FinetuneConfig, ModelOptions
from rlsel.proxy import ProxyConfig
from rlsel.selectors.registry import get_selector
from rlsel.selectors.settings import ChunkedRun, ClimbConfig, DynaConfig, SelectorSettings, WarmStart


@dataclasses.dataclass(frozen=True)
class SelectSettings:
    """A select job: the data to prepare, the MDP on it, the method and what it is told, the seed."""

    method: str
    dataset: str  # as given
    seed: int
    prepare: PrepareConfig
    env: SelectionEnvConfig
    selector: SelectorSettings
    config: dict  # the whole config as given, for the records


@dataclasses.dataclass(frozen=True)
class FinetuneSettings:
    """A finetune job: the model, which examples (a selection.json, or `full`: every train row of `data`), how."""

    model: str
    family: str
    seed: int
    selection: str
    dataset: str  # as given; empty takes the selection's
    data: DatasetSpec
    train: FinetuneConfig
    options: ModelOptions
    config: dict


@dataclasses.dataclass(frozen=True)
class FidelitySettings:
    """A proxy-fidelity job: a select job's data and MDP, how many random subsets to score, the strong model's
    iterations, and how many subsets the finetune job (its own config: `finetune`) trains on."""

    dataset: str
    seed: int
    prepare: PrepareConfig
    env: SelectionEnvConfig
    num_subsets: int
    strong_max_iter: int
    finetune_subsets: int
    finetune: ml_collections.ConfigDict
    config: dict

    def __post_init__(self):
        if self.num_subsets < 3:
            raise ValueError(f"num_subsets must be >= 3 to rank subsets; got {self.num_subsets}")
        if self.strong_max_iter < 1:
            raise ValueError(f"strong_max_iter must be >= 1; got {self.strong_max_iter}")
        if not 0 <= self.finetune_subsets <= self.num_subsets:
            raise ValueError(f"finetune_subsets must lie in [0, num_subsets={self.num_subsets}]; "
                             f"got {self.finetune_subsets}")


def prepare_config(config: ml_collections.ConfigDict) -> PrepareConfig:
    """The prepare stage's settings; the swap MDP makes one region per chunk of the budget (num_clusters unused)."""
    p = config.prepare
    swap = config.get("mdp", "add") == "swap"
    return PrepareConfig(
        data=spec_from_config(config), embedder=p.embedder, num_clusters=p.num_clusters,
        cluster_fraction=config.budget / max(p.get("chunk_size", 0), 1) if swap else 0.0,
        stratified=p.stratified, per_cluster=p.per_cluster, chunk_size=p.get("chunk_size", 0),
        order=p.get("order", "typical"), reward_train=p.get("reward_train", 0), val_size=p.val_size,
        seed=config.seed,
        cache_dir=config.cache_dir,
    )


def env_config(config: ml_collections.ConfigDict) -> SelectionEnvConfig:
    return SelectionEnvConfig(budget=config.budget, budget_mode=config.budget_mode,
                              proxy=ProxyConfig(**config.proxy.to_dict()),
                              observe_error=config.get("observe_error", False),
                              observe_gain=config.get("observe_gain", False), pick=config.get("pick", "order"),
                              cluster_cap=config.get("cluster_cap", 0),
                              label_balance=config.get("label_balance", False),
                              exact_shares=config.get("exact_shares", False), mdp=config.get("mdp", "add"),
                              swap_fraction=config.get("swap_fraction", 0.1))


def ppo_configs(config: ml_collections.ConfigDict) -> tuple[PPOConfig, PPOHparams]:
    """Typed static config and traced hyperparameters from `config.ppo`."""
    c = config.ppo
    static = PPOConfig(num_envs=c.num_envs, num_steps=c.num_steps, total_timesteps=c.total_timesteps,
                       update_epochs=c.update_epochs, num_minibatches=c.num_minibatches, network=c.network,
                       hidden_size=c.hidden_size, num_layers=c.num_layers, activation=c.activation,
                       anneal_lr=c.anneal_lr)
    hparams = PPOHparams(lr=c.lr, gamma=c.gamma, gae_lambda=c.gae_lambda, clip_eps=c.clip_eps,
                         ent_coef=c.ent_coef, vf_coef=c.vf_coef, max_grad_norm=c.max_grad_norm)
    return static, hparams


def dqn_configs(config: ml_collections.ConfigDict) -> tuple[DQNConfig, DQNHparams]:
    """Typed static config and traced hyperparameters from `config.dqn`."""
    c = config.dqn
    static = DQNConfig(num_envs=c.num_envs, total_timesteps=c.total_timesteps, buffer_size=c.buffer_size,
                       batch_size=c.batch_size, learning_starts=c.learning_starts,
                       train_frequency=c.train_frequency, target_update_interval=c.target_update_interval,
                       hidden_sizes=(c.hidden_size,) * c.num_layers)
    hparams = DQNHparams(lr=c.lr, gamma=c.gamma, epsilon_start=c.epsilon_start, epsilon_end=c.epsilon_end,
                         epsilon_decay_fraction=c.epsilon_decay_fraction, tau=c.tau)
    return static, hparams


PREFIX_METHODS = ("climb_disc", "dyna_ppo")  # read states as each region's first chunks: the add MDP's states


def check_swap_method(config: ml_collections.ConfigDict) -> None:
    """Methods and warm starts that model a state as each region's first chunks cannot walk the swap MDP."""
    if config.method in PREFIX_METHODS:
        raise ValueError(f"method '{config.method}' models add-MDP states; use it with mdp='add'")
    if config.ppo.get("warm_start", "") or config.dqn.get("warm_start", ""):
        raise ValueError("a warm start clones an add-MDP episode; the swap MDP already starts from a full subset: "
                         "leave ppo.warm_start and dqn.warm_start empty with mdp='swap'")
    if config.method in ("ppo", "dqn") and config.get("swap_fraction", 0.1) <= 0:
        raise ValueError(f"{config.method} learns which swaps to make: set swap_fraction > 0 (0 keeps the start, for "
                         "the methods that only walk the MDP, e.g. greedy)")
    if config.prepare.get("chunk_size", 0) < 1:
        raise ValueError("the swap MDP swaps chunks within a region: set prepare.chunk_size >= 1")


def select_settings(config: ml_collections.ConfigDict, checkpoint_dir: str | None = None, resume: bool = False,
                    progress: bool = True, log_dir: str | None = None) -> SelectSettings:
    """A select-style config, typed; PPO checkpoints go to `checkpoint_dir` and metrics to `log_dir` (none when
    None). An unknown method fails here, before any work."""
    get_selector(config.method)
    if config.get("mdp", "add") == "swap":
        check_swap_method(config)
    ppo, ppo_hparams = ppo_configs(config)
    dqn, dqn_hparams = dqn_configs(config)
    run = ChunkedRun(chunk_updates=config.ppo.chunk_updates, checkpoint_dir=checkpoint_dir, resume=resume,
                     progress=progress, log_dir=log_dir)
    selector = SelectorSettings(ppo=ppo, ppo_hparams=ppo_hparams, run=run, dqn=dqn, dqn_hparams=dqn_hparams,
                                decode_samples=config.ppo.get("decode_samples", 0),
                                warm=WarmStart(source=config.ppo.get("warm_start", ""),
                                               steps=config.ppo.get("warm_steps", 300)),
                                dqn_warm=WarmStart(source=config.dqn.get("warm_start", ""),
                                                   steps=config.dqn.get("warm_steps", 1000), agent="dqn"),
                                climb=ClimbConfig(**config.get("climb", {})), dyna=DynaConfig(**config.get("dyna", {})),
                                run_config=config.to_dict())
    return SelectSettings(method=config.method, dataset=config.dataset, seed=config.seed,
                          prepare=prepare_config(config), env=env_config(config), selector=selector,
                          config=config.to_dict())


def finetune_settings(config: ml_collections.ConfigDict) -> FinetuneSettings:
    """A finetune config, typed; decoders (LoRA) train at `config.lora.learning_rate` instead of the full-model
    rate. An unknown model fails first."""
    family = model_family(config.model)
    fields = {f.name: config.train[f.name] for f in dataclasses.fields(FinetuneConfig)}
    if family == "llama":
        fields["learning_rate"] = config.lora.learning_rate
    train = FinetuneConfig(**fields)
    options = ModelOptions(pooling=config.encoder.pooling, dropout=config.encoder.dropout,
                           lora_rank=config.lora.rank, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout)
    return FinetuneSettings(model=config.model, family=family, seed=config.seed, selection=config.selection,
                            dataset=config.dataset, data=spec_from_config(config), train=train, options=options,
                            config=config.to_dict())


def fidelity_settings(config: ml_collections.ConfigDict) -> FidelitySettings:
    """A proxy-fidelity config, typed; settings it cannot use fail here, with the fix."""
    return FidelitySettings(dataset=config.dataset, seed=config.seed, prepare=prepare_config(config),
                            env=env_config(config), num_subsets=config.num_subsets,
                            strong_max_iter=config.strong_max_iter, finetune_subsets=config.finetune_subsets,
                            finetune=config.finetune, config=config.to_dict())
