"""Actor-critic networks: shapes, the inputs each one reads, equivariance, init and masking."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlsel.agents.networks import (
    ClusterScorerActorCritic,
    MLPActorCritic,
    action_distribution,
    make_network,
)
from rlsel.env.obs import SelectionObs


def _obs(key, num_clusters: int, num_features: int = 3, batch: tuple = ()) -> SelectionObs:
    k1, k2, k3 = jax.random.split(key, 3)
    selected = (jax.random.uniform(k1, batch + (num_clusters,)) < 0.4).astype(jnp.float32)
    return SelectionObs(
        selected=selected,
        action_mask=selected < 0.5,
        budget_left=jax.random.uniform(k2, batch),
        cluster_features=jax.random.normal(k3, batch + (num_clusters, num_features)),
    )


def test_mlp_on_arrays_shapes_and_orthogonal_init():
    net = MLPActorCritic(num_actions=3, hidden_size=8)
    obs = jnp.ones((5, 4))
    params = jax.jit(net.init)(jax.random.key(0), obs)
    logits, value = jax.jit(net.apply)(params, obs)
    assert logits.shape == (5, 3) and value.shape == (5,)
    # Hidden layers: orthogonal with gain sqrt(2), so W W^T = 2 I for a 4 -> 8 layer.
    kernel = np.asarray(params["params"]["Dense_0"]["kernel"])
    np.testing.assert_allclose(kernel @ kernel.T, 2.0 * np.eye(4), atol=1e-5)
    # Policy head with gain 0.01: the initial policy is close to uniform.
    assert float(jnp.max(jnp.abs(logits))) < 0.1


def test_mlp_reads_only_selected_and_budget_of_selection_obs():
    net = MLPActorCritic(num_actions=6, hidden_size=8)
    apply = jax.jit(net.apply)
    obs = _obs(jax.random.key(1), 6, batch=(2,))
    params = jax.jit(net.init)(jax.random.key(0), obs)
    logits, value = apply(params, obs)
    assert logits.shape == (2, 6) and value.shape == (2,)
    other_features = obs.replace(cluster_features=obs.cluster_features + 1.0)
    np.testing.assert_array_equal(apply(params, other_features)[1], value)
    other_budget = obs.replace(budget_left=obs.budget_left + 0.5)
    assert not np.allclose(apply(params, other_budget)[1], value)


def test_signal_skip_starts_as_the_plain_mlp_and_adds_each_clusters_own_weighted_signals():
    obs = _obs(jax.random.key(1), 6, batch=(2,))
    obs = obs.replace(cluster_error=jax.random.normal(jax.random.key(2), (2, 6)),
                      cluster_gain=jax.random.normal(jax.random.key(3), (2, 6)))
    plain, skip = make_network("mlp", 6, hidden_size=8), make_network("mlp_signals", 6, hidden_size=8)
    params = skip.init(jax.random.key(0), obs)
    logits, _ = skip.apply(params, obs)
    np.testing.assert_allclose(logits, plain.apply(plain.init(jax.random.key(0), obs), obs)[0], atol=1e-6)
    params["params"]["signal_skip"]["kernel"] = jnp.array([[0.0], [2.0]])  # weight 2 on the coverage gain
    moved, _ = skip.apply(params, obs)
    np.testing.assert_allclose(moved - logits, 2.0 * obs.cluster_gain, atol=1e-5)


@pytest.fixture(scope="module")
def scorer():
    net = ClusterScorerActorCritic(hidden_size=16)
    return jax.jit(net.apply), jax.jit(net.init)(jax.random.key(0), _obs(jax.random.key(1), 5))


def test_cluster_scorer_is_permutation_equivariant(scorer):
    apply, params = scorer
    obs = _obs(jax.random.key(2), 7)
    perm = jax.random.permutation(jax.random.key(3), 7)
    permuted = SelectionObs(
        selected=obs.selected[perm],
        action_mask=obs.action_mask[perm],
        budget_left=obs.budget_left,
        cluster_features=obs.cluster_features[perm],
    )
    logits, value = apply(params, obs)
    logits_p, value_p = apply(params, permuted)
    np.testing.assert_allclose(logits_p, logits[perm], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value_p, value, rtol=1e-5, atol=1e-6)
    # Not trivially constant: the logits do depend on the clusters.
    assert float(jnp.std(logits)) > 1e-4


def test_cluster_scorer_same_params_any_number_of_clusters(scorer):
    apply, params = scorer
    for num_clusters in (5, 9):
        logits, value = apply(params, _obs(jax.random.key(num_clusters), num_clusters, batch=(2,)))
        assert logits.shape == (2, num_clusters) and value.shape == (2,)
        assert bool(jnp.all(jnp.isfinite(logits)))


def test_cluster_scorer_rejects_flat_observations(scorer):
    apply, params = scorer
    with pytest.raises(ValueError, match="SelectionObs"):
        apply(params, jnp.ones((5,)))


@jax.jit
def _policy_probe(logits, obs, key):
    """Probabilities, 2000 samples, and gradients of entropy + log-prob of the policy over `logits`."""
    dist = action_distribution(logits, obs)

    def objective(z):
        d = action_distribution(z, obs)
        return d.entropy() + d.log_prob(2)

    return dist.probs, dist.sample(seed=key, sample_shape=(2000,)), jax.grad(objective)(logits)


def test_masked_policy_never_samples_invalid_actions_and_keeps_finite_gradients():
    mask = np.asarray([True, False, True, False, False, True])
    obs = _obs(jax.random.key(4), 6).replace(action_mask=jnp.asarray(mask))
    logits = jnp.asarray([0.0, 5.0, 1.0, 9.0, 2.0, -1.0])
    probs, samples, grads = _policy_probe(logits, obs, jax.random.key(5))
    np.testing.assert_array_equal(np.asarray(probs)[~mask], 0.0)
    np.testing.assert_allclose(np.asarray(probs)[mask], jax.nn.softmax(logits[mask]), rtol=1e-6)
    assert set(np.unique(samples).tolist()) == {0, 2, 5}
    assert bool(jnp.all(jnp.isfinite(grads)))
    np.testing.assert_array_equal(np.asarray(grads)[~mask], 0.0)


def test_unmasked_observations_keep_their_logits():
    logits = jnp.asarray([0.0, 1.0])
    probs, _, _ = _policy_probe(logits, jnp.zeros(3), jax.random.key(0))
    np.testing.assert_allclose(probs, jax.nn.softmax(logits), rtol=1e-6)


def test_make_network():
    assert isinstance(make_network("mlp", 4, hidden_size=8), MLPActorCritic)
    assert make_network("cluster_scorer", 4, num_layers=1).num_layers == 1
    with pytest.raises(ValueError, match="Unknown network 'transformer'"):
        make_network("transformer", 4)
    with pytest.raises(ValueError, match="Unknown network sizes"):
        make_network("mlp", 4, width=8)
    with pytest.raises(ValueError, match="Unknown activation"):
        make_network("mlp", 4, activation="gelu")
