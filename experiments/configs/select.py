"""Default configuration of experiments/select.py (override any field with --config.FIELD=VALUE)."""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.dataset = "movie_sentences"  # built-in name, path to .csv/.jsonl/.parquet, or hf:ID
    c.text_column = "text"  # a file's or hub dataset's column of texts
    c.label_column = "label"  # a file's or hub dataset's column of labels
    c.hf_config = ""  # with hf:ID: the hub dataset's configuration name (empty: its default)
    c.label_noise = 0.0  # flip this fraction of train labels (seeded by prepare.split_seed; val/test clean)
    c.encoding = "utf-8"  # codec of a local dataset file's text; e.g. latin-1 for files not saved as UTF-8
    c.embedding_column = ""  # with prepare.embedder=precomputed: the file's column of vectors (empty: FILE.npy)
    c.method = "ppo"  # a name in rlsel.selectors.registry (experiments/select.py --help lists them)
    c.budget = 0.05  # fraction of the train split
    c.budget_mode = "examples"  # examples | clusters
    c.seed = 0  # seed of clustering, the pool's subsamples and the method
    c.observe_error = True  # the policy sees the proxy's current loss at each cluster's next chunk
    c.observe_gain = True  # with proxy.coverage_weight > 0: the policy sees each next chunk's coverage gain
    c.pick = "order"  # order: a cluster adds its chunks in prepare.order | gain: its chunk best for coverage
    c.cluster_cap = 1  # at most this many chunks from one cluster (0: no cap; raised if the budget needs it)
    c.label_balance = True  # no label takes more than its train share of the budget (plus one chunk)
    c.exact_shares = False  # with label_balance: every label takes exactly its share, in whole chunks
    c.mdp = "add"  # add: build the subset chunk by chunk | swap: one region per budget chunk, start from each
    # region's first chunk (TypiClust's subset with the typical order) and swap chunks within regions
    c.swap_fraction = 0.1  # swap MDP: swaps per episode, as a fraction of the regions
    c.cache_dir = ""  # embeddings and clusters; default $RLSEL_CACHE or ~/.cache/rlsel

    c.prepare = ml_collections.ConfigDict(dict(  # embed, cluster and subsample the train split into the MDP's pool
        embedder="minilm",  # minilm | glove | hash | precomputed (the data file brings its vectors)
        num_clusters=400,  # K-Means clusters of the train embeddings (the MDP's regions)
        stratified=True,  # cluster each label separately, so every cluster is label-pure
        per_cluster=32,  # members per cluster the MDP can choose from (a seeded subsample of larger clusters)
        chunk_size=2,  # examples per action (a cluster's next chunk); 0: an action takes a whole cluster
        order="agree",  # one of rlsel.data.units.ORDERS; agree: rows whose label their neighbours share first
        reward_train=2048,  # train rows held out of every chunk for the reward to score on (chunked only)
        val_size=512,  # validation rows the reward scores on (from the half the reward may read)
        split_seed=0,  # seed of the train/validation/test split (and of label_noise)
        val_fraction=0.1,  # share of train carved out as the validation split (when the dataset has none)
        test_fraction=0.1,  # share of the data carved out as the test split (when the dataset has none)
    ))
    c.proxy = ml_collections.ConfigDict(dict(
        kind="ridge",  # ridge (closed form, the default) | linear | mlp (Adam heads trained each env step)
        metric="neg_loss",  # neg_loss | accuracy of the proxy on the reward's validation rows
        dim=64,  # PCA dimension of the embeddings the proxy sees (0: whole)
        ridge_lambda=1.0,  # ridge penalty
        class_balanced=False,  # weight train rows by inverse label frequency
        train_steps=50,  # linear/mlp: full-batch Adam steps per fit
        learning_rate=0.05,  # linear/mlp: Adam learning rate
        weight_decay=1e-4,  # linear/mlp: weight decay
        hidden=64,  # mlp: hidden units
        warm_start=False,  # linear/mlp: start each fit from the previous step's parameters
        coverage_weight=0.0,  # > 0 adds this times the subset's class-conditional coverage of the reward rows
        coverage_kind="mean",  # mean (per-label mean matching, as herding) | facility (facility location)
    ))
    c.ppo = ml_collections.ConfigDict(dict(
        num_envs=32,  # parallel environments (vmapped; sharded over devices)
        num_steps=16,  # steps per environment per update (one rollout)
        total_timesteps=512_000,  # environment steps in all: updates = total_timesteps / (num_envs * num_steps)
        update_epochs=4,  # passes over each rollout
        num_minibatches=4,  # minibatches per pass
        network="mlp",  # mlp | mlp_signals (mlp with a skip for the per-cluster signals) | cluster_scorer
        hidden_size=64,  # hidden units per layer
        num_layers=2,  # hidden layers
        activation="tanh",  # tanh | relu
        anneal_lr=True,  # decay the learning rate linearly to 0 over the run
        lr=3e-3,  # Adam learning rate
        gamma=0.9,  # discount
        gae_lambda=0.9,  # GAE lambda
        clip_eps=0.2,  # PPO's ratio clip
        ent_coef=0.0,  # entropy bonus weight
        vf_coef=0.5,  # value loss weight
        max_grad_norm=0.5,  # global gradient-norm clip
        chunk_updates=25,  # updates per compiled call: progress, metrics and checkpoints come between calls
        decode_samples=64,  # besides the greedy episode, sample this many from the policy and keep the best
        warm_start="",  # greedy | climb_disc | random_clusters: clone the actor on that search's subset first
        warm_steps=300,  # Adam steps of that cloning
    ))
    c.dqn = ml_collections.ConfigDict(dict(
        num_envs=16,  # parallel environments
        total_timesteps=64_000,  # environment transitions in all, summed over environments
        buffer_size=20_000,  # replay buffer transitions
        batch_size=128,  # transitions per gradient update
        learning_starts=1_000,  # transitions collected before the first update
        train_frequency=1,  # vectorised environment steps per gradient update
        target_update_interval=100,  # gradient updates per target network update
        hidden_size=128,  # hidden units per layer
        num_layers=2,  # hidden layers
        lr=5e-4,  # Adam learning rate
        gamma=1.0,  # discount
        epsilon_start=1.0,  # exploration rate at the start
        epsilon_end=0.05,  # exploration rate after the decay
        epsilon_decay_fraction=0.5,  # share of total_timesteps over which epsilon decays linearly
        tau=1.0,  # target update rate (1: hard copy)
        warm_start="",  # greedy | climb_disc | random_clusters: fit the Q-network to play that search's subset first
        warm_steps=1000,  # Adam steps of that fit
    ))
    c.climb = ml_collections.ConfigDict(dict(  # climb_disc: proxy calls = init_states + rounds * per_round
        init_states=64,  # random-policy MDP states scored by the proxy first
        rounds=8,  # rounds of fit, mutate and score
        per_round=32,  # best predicted candidates scored by the proxy each round
        parents=8,  # best scored states mutated each round
        candidates=512,  # mutations predicted by the ridge each round
        max_moves=4,  # a mutation drops 1..max_moves chunks and refills at random
        ridge=1.0,  # penalty of the state-to-score ridge regression
    ))
    c.dyna = ml_collections.ConfigDict(dict(  # dyna_ppo: real episodes per round; c.ppo's steps are imagined
        rounds=8,  # rounds of real episodes, refit, and PPO updates on the model
        real_episodes=16,  # policy episodes scored by the real proxy each round
        ridge=1.0,  # penalty of the state-to-score ridge regression
    ))
    return c
