"""Default configuration of experiments/select.py (override any field with --config.FIELD=VALUE)."""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.dataset = "movie_sentences"  # built-in name, path to .csv/.jsonl/.parquet, or hf:ID
    c.text_column = "text"
    c.label_column = "label"
    c.hf_config = ""
    c.label_noise = 0.0  # flip this fraction of train labels (seeded by prepare.split_seed; val/test clean)
    c.encoding = "utf-8"  # codec of a local dataset file's text; e.g. latin-1 for files not saved as UTF-8
    c.embedding_column = ""  # with prepare.embedder=precomputed: the file's column of vectors (empty: FILE.npy)
    c.method = "ppo"  # a name in rlsel.selectors.registry (experiments/select.py --help lists them)
    c.budget = 0.05  # fraction of the train split
    c.budget_mode = "examples"  # examples | clusters
    c.seed = 0
    c.observe_error = True  # the policy sees the proxy's current loss at each cluster's next chunk
    c.observe_gain = True  # with proxy.coverage_weight > 0: the policy sees each next chunk's coverage gain
    c.cache_dir = ""  # embeddings and clusters; default $RLSEL_CACHE or ~/.cache/rlsel

    c.prepare = ml_collections.ConfigDict(dict(
        embedder="minilm", num_clusters=200, stratified=True, per_cluster=32, chunk_size=2, order="typical",
        reward_train=2048, val_size=512,
        split_seed=0, val_fraction=0.1, test_fraction=0.1,
    ))
    c.proxy = ml_collections.ConfigDict(dict(
        kind="ridge", metric="neg_loss", dim=64, ridge_lambda=1.0, class_balanced=False,
        train_steps=50, learning_rate=0.05, weight_decay=1e-4, hidden=64, warm_start=False,
        coverage_weight=0.0,  # > 0 adds this times the subset's class-conditional coverage of the reward rows
        coverage_kind="mean",  # mean (per-label mean matching, as herding) | facility (facility location)
    ))
    c.ppo = ml_collections.ConfigDict(dict(
        num_envs=32, num_steps=16, total_timesteps=512_000, update_epochs=4, num_minibatches=4,
        network="mlp", hidden_size=64, num_layers=2, activation="tanh", anneal_lr=True,
        lr=3e-3, gamma=0.9, gae_lambda=0.9, clip_eps=0.2, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5,
        chunk_updates=25,
        decode_samples=64,  # besides the greedy episode, sample this many from the policy and keep the best
        warm_start="",  # greedy | climb_disc | random_clusters: clone the actor on that search's subset first
        warm_steps=300,  # Adam steps of that cloning
    ))
    c.dqn = ml_collections.ConfigDict(dict(
        num_envs=16, total_timesteps=64_000, buffer_size=20_000, batch_size=128, learning_starts=1_000,
        train_frequency=1, target_update_interval=100, hidden_size=128, num_layers=2,
        lr=5e-4, gamma=1.0, epsilon_start=1.0, epsilon_end=0.05, epsilon_decay_fraction=0.5, tau=1.0,
    ))
    c.climb = ml_collections.ConfigDict(dict(  # climb_disc: proxy calls = init_states + rounds * per_round
        init_states=64, rounds=8, per_round=32, parents=8, candidates=512, max_moves=4, ridge=1.0,
    ))
    c.dyna = ml_collections.ConfigDict(dict(  # dyna_ppo: real episodes per round; c.ppo's steps are imagined
        rounds=8, real_episodes=16, ridge=1.0,
    ))
    return c
