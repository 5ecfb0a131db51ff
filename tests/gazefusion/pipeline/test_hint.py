"""Properties of the hint preparation, seeds and video chunking (no models)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gazefusion.errors import UserInputError
from gazefusion.pipeline.core import broadcast_items, seeds_for
from gazefusion.pipeline.hint import SmapResizedWarning, fit_smap, smaps_to_hint, snap_to_multiple
from gazefusion.video.t2v_zero import frame_chunks


@given(size=st.integers(1, 4096), multiple=st.sampled_from([1, 2, 8, 16, 64]))
def test_snap_to_multiple_is_the_nearest_positive_multiple(size, multiple):
    snapped = snap_to_multiple(size, multiple)
    assert snapped % multiple == 0 and snapped >= multiple
    candidates = [k * multiple for k in range(1, size // multiple + 3)]
    best = min(abs(c - size) for c in candidates)
    assert abs(snapped - size) == best


smap_arrays = arrays(
    np.float32,
    st.tuples(st.integers(4, 40), st.integers(4, 40)),
    elements=st.floats(0, 1, width=32),
)


@settings(max_examples=40, deadline=None)
@given(smap=smap_arrays)
def test_fit_smap_snaps_to_multiples_of_8_and_keeps_the_value_range(smap):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = fit_smap(smap, multiple=8)
    h, w = smap.shape
    assert fitted.shape == (snap_to_multiple(h, 8), snap_to_multiple(w, 8))
    assert fitted.dtype == np.float32
    if fitted.shape == smap.shape:
        np.testing.assert_array_equal(fitted, smap)
        assert not caught
    else:
        assert [x.category for x in caught] == [SmapResizedWarning]
        assert fitted.min() >= smap.min() - 1e-6 and fitted.max() <= smap.max() + 1e-6


@settings(max_examples=25, deadline=None)
@given(maps=st.lists(arrays(np.float32, (8, 16), elements=st.floats(0, 1, width=32)), min_size=1, max_size=4))
def test_hint_is_each_map_on_three_channels(maps):
    hint = smaps_to_hint(maps)
    assert hint.shape == (len(maps), 3, 8, 16) and hint.dtype == torch.float32
    for b, m in enumerate(maps):
        for c in range(3):
            assert torch.equal(hint[b, c], torch.from_numpy(m))


@given(seed=st.integers(0, 2**31), n=st.integers(1, 8))
def test_int_seed_expands_to_consecutive_seeds(seed, n):
    assert seeds_for(seed, n) == list(range(seed, seed + n))


def test_seed_list_and_broadcasting():
    assert seeds_for([5, 9], None) == [5, 9]
    with pytest.raises(UserInputError, match="does not match"):
        seeds_for([5, 9], 3)
    smap = np.zeros((8, 8), np.float32)
    prompts, smaps = broadcast_items(["a", "b", "c"], smap)
    assert prompts == ["a", "b", "c"] and len(smaps) == 3 and all(s is smap for s in smaps)


@given(n_frames=st.integers(1, 40), chunk_size=st.integers(2, 9))
def test_frame_chunks_cover_every_frame_once_with_the_anchor(n_frames, chunk_size):
    chunks = frame_chunks(n_frames, chunk_size)
    assert all(len(c) <= chunk_size for c in chunks)
    assert all(c[0] == 0 for c in chunks)
    produced = chunks[0] + [i for c in chunks[1:] for i in c[1:]]  # later chunks drop the anchor's output
    assert produced == list(range(n_frames))
