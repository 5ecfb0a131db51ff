"""One seed derivation: SeedSequence([base, *keys]) with strings as their CRC-32."""

import zlib

import numpy as np
import pytest

from gazefusion.utils.seeds import derive_seed, rng, seed_sequence, stable_hash


def test_streams_are_numpy_seed_sequences_of_base_and_keys():
    assert rng(7, 2).random() == np.random.default_rng([7, 2]).random()
    assert rng(7).random() == np.random.default_rng(7).random()
    want = np.random.SeedSequence([3, zlib.crc32(b"P01"), 4]).generate_state(2)
    np.testing.assert_array_equal(seed_sequence(3, "P01", 4).generate_state(2), want)
    assert stable_hash("P01") == zlib.crc32(b"P01")


def test_derived_seeds_are_stable_distinct_and_fit_int64():
    seeds = {derive_seed(base, key) for base in range(4) for key in range(4)}
    assert len(seeds) == 16  # unlike seed + key, (0, 1) and (1, 0) differ
    assert derive_seed(0, "a", 1) == derive_seed(0, "a", 1) != derive_seed(0, "b", 1)
    assert all(0 <= s < 2**63 for s in seeds)


@pytest.mark.parametrize("key", [-1, 1.5, True, None])
def test_bad_keys_are_refused(key):
    with pytest.raises(ValueError, match="seed keys"):
        derive_seed(0, key)
