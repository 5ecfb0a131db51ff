"""Plan, shards, derangement and pseudo-fixations of the benchmark."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazefusion.bench.plan import BASELINE, GAZEFUSION, BenchConfig, build_plan, shard
from gazefusion.bench.prompts import Prompt
from gazefusion.bench.targets import build_targets, derangement, pseudo_fixations
from gazefusion.errors import UserInputError


def make_config(**kw):
    base = dict(
        prompts=(Prompt("a", "x"), Prompt("b", "y")),
        smap_ids=("s1", "s2", "s3"),
        smap_sha256=("", "", ""),
        size=(16, 16),
        seeds=(0, 1),
        model="m",
        scorers=("centre-bias",),
        control_scales=(1.0, 0.5),
    )
    base.update(kw)
    return BenchConfig(**base)


def test_plan_counts_order_and_unique_keys():
    config = make_config()
    plan = build_plan(config)
    # per (prompt, seed): 1 baseline + 3 smaps x 2 scales
    assert len(plan) == 2 * 2 * (1 + 3 * 2)
    assert plan[0].condition == BASELINE and plan[1].condition == GAZEFUSION
    assert len({it.key for it in plan}) == len(plan)
    assert sum(it.condition == BASELINE for it in plan) == 4
    assert len(build_plan(make_config(baseline=False))) == 2 * 2 * 6


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 60), st.integers(1, 8))
def test_shards_partition_the_plan(n, world):
    items = list(range(n))
    shards = [shard(items, r, world) for r in range(world)]
    assert sorted(sum(shards, [])) == items
    assert all(abs(len(a) - len(b)) <= 1 for a in shards for b in shards)


def test_config_round_trip_and_differences():
    config = make_config()
    again = BenchConfig.from_json(config.to_json())
    assert again == config and config.differences(again) == []
    assert make_config(steps=3).differences(config) == ["steps"]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        pytest.param({"smap_ids": ("s1",), "smap_sha256": ("",)}, "at least 2 smaps", id="one-smap-shuffled"),
        pytest.param({"scorers": ()}, "--scorers", id="no-scorers"),
        pytest.param({"seeds": (1, 1)}, "distinct seeds", id="dup-seeds"),
        pytest.param({"control_scales": (0.0,)}, "positive strengths", id="zero-scale"),
    ],
)
def test_config_errors(kw, match):
    with pytest.raises(UserInputError, match=match):
        make_config(**kw)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 30), st.integers(0, 2**31))
def test_derangement_has_no_fixed_point_and_is_seeded(n, seed):
    perm = derangement(n, seed)
    assert sorted(perm) == list(range(n))
    assert not np.any(perm == np.arange(n))
    assert np.array_equal(perm, derangement(n, seed))


def test_pseudo_fixations_follow_the_density():
    smap = np.zeros((20, 30), np.float32)
    smap[5, 7] = 1.0
    smap[10, 20] = 3.0 / 255  # small but non-zero mass
    pts = pseudo_fixations(smap, 2000, np.random.default_rng(0))
    assert pts.shape == (2000, 2)
    share = np.mean((pts[:, 0] == 20) & (pts[:, 1] == 10))
    expected = (3 / 255) / (1 + 3 / 255)
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 2000)
    assert set(map(tuple, pts)) <= {(7, 5), (20, 10)}


def test_targets_binary_maps_and_other_fixations():
    rng = np.random.default_rng(0)
    smaps = [rng.random((12, 16)).astype(np.float32) for _ in range(4)]
    targets = build_targets(["a", "b", "c", "d"], smaps, n_fixations=30, n_other=2, seed=5)
    t = targets["a"]
    assert set(np.unique(t.fixation_map)) <= {0.0, 1.0}
    assert t.fixation_map.sum() == len({tuple(p) for p in t.fixations})
    # the sAUC negatives are exactly the union of two other smaps' fixation maps
    unions = [
        np.clip(targets[x].fixation_map + targets[y].fixation_map, 0, 1)
        for x, y in (("b", "c"), ("b", "d"), ("c", "d"))
    ]
    assert any(np.array_equal(t.other_map, u) for u in unions)
    again = build_targets(["a", "b", "c", "d"], smaps, n_fixations=30, n_other=2, seed=5)
    assert np.array_equal(again["c"].fixations, targets["c"].fixations)
    assert build_targets(["a"], smaps[:1], n_fixations=5)["a"].other_map is None
