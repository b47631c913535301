"""Every method's selected indices under the tiny config at seed 0, pinned: refactors must not change them.

A deliberate change of a method or of the MDP updates its hash here (the test prints the new one).
"""

import hashlib
import json

import pytest

from rlsel.jobs.select import run_selection
from rlsel.selectors.registry import METHODS
from test_run import dataset_file, tiny_config  # noqa: F401  (dataset_file is a fixture)

PINNED = {
    "ppo": "e277be722453a82b",
    "dqn": "97d668d5e6918524",
    "greedy": "6b03a1659ef3913c",
    "random": "2eb75a47057a995a",
    "random_clusters": "0f06d6dbb1a3f8c3",
    "stratified_random": "c3b4da6a27fd7e78",
    "balanced_random": "2ba4a55ef5956b2b",
    "typiclust": "2e55fea32d5b61e6",
    "kcenter": "5ee5638d6bf161b2",
    "facility_location": "20cd509c2dd7f4d0",
    "herding": "44f7ae48c9cafa49",
    "val_similarity": "e9e6cf98fd69a119",
    "loss_band": "985c418619796144",
    "knn_agree": "c3b4da6a27fd7e78",  # stratified_random's draw: none of its rows is outvoted here
    "exp3": "79eeca744f618eff",
    "climb_disc": "76beb495e7576064",
    "dyna_ppo": "13410326483db9b5",
}


def indices_hash(indices: list[int]) -> str:
    return hashlib.sha256(json.dumps(sorted(indices)).encode()).hexdigest()[:16]


def test_every_method_is_pinned():
    assert sorted(PINNED) == sorted(METHODS)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize("method", METHODS)
def test_indices_are_unchanged(select_config, dataset_file, cache, tmp_path, method):  # noqa: F811
    config = tiny_config(select_config, dataset_file, cache, method)
    record = run_selection(config, tmp_path, progress=False)
    assert indices_hash(record["indices"]) == PINNED[method], f"{method}: {indices_hash(record['indices'])}"
