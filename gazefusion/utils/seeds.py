"""One way to derive a seed from another seed and keys.

A derived stream is NumPy's ``SeedSequence([base, *keys])``: independent for different keys,
stable across runs, machines and versions. Keys are ints >= 0 or strings; a string counts as the
CRC-32 of its UTF-8 bytes (:func:`stable_hash`: stable, unlike Python's salted ``hash``).

>>> derive_seed(0, "P01", 3) == derive_seed(0, "P01", 3) != derive_seed(0, "P01", 4)
True
>>> float(rng(7, 2).random()) == float(np.random.default_rng([7, 2]).random())
True

Exceptions (kept for their numbers, which tests or shipped files freeze):

- The samples of one generation call use ``seed, seed + 1, ...`` (the original GazeFusion code;
  :func:`gazefusion.pipeline.core.seeds_for`), and so do the per-item generation seeds of the demo
  data (``seed + k``, :mod:`study.demo_data`) and of the simulated study (``seed + 100 k + j``,
  :func:`analysis.simulated_study`), whose images the toy-model tests check.
- The weights of the tiny test models (``seed + 1..3``, :mod:`gazefusion.models.tiny`) and of the
  shipped toy model's build (``seed + 10/20/30``, :mod:`gazefusion.toy.build`).
- The training sampler shuffles epoch ``e`` with ``seed + e`` (torch's ``DistributedSampler``
  convention, :mod:`gazefusion.training.data`).
- A seed that is already a ``SeedSequence`` is split with ``spawn`` (independent child streams
  of one viewing, :mod:`study.observer`).
"""

from __future__ import annotations

import zlib

import numpy as np

Key = int | str

__all__ = ["Key", "derive_seed", "rng", "seed_sequence", "stable_hash"]


def stable_hash(text: str) -> int:
    """CRC-32 of ``text``'s UTF-8 bytes: a 32-bit int, the same in every process."""
    return zlib.crc32(text.encode("utf-8"))


def _key(key: Key) -> int:
    if isinstance(key, str):
        return stable_hash(key)
    if isinstance(key, bool) or not isinstance(key, int | np.integer) or key < 0:
        raise ValueError(f"seed keys must be ints >= 0 or strings, got {key!r}")
    return int(key)


def seed_sequence(base: int, *keys: Key) -> np.random.SeedSequence:
    """``SeedSequence([base, *keys])`` (``SeedSequence(base)`` without keys), strings hashed."""
    base = _key(base)
    return np.random.SeedSequence([base, *map(_key, keys)] if keys else base)


def derive_seed(base: int, *keys: Key) -> int:
    """A 63-bit int seed (fits torch and int64) of the stream ``(base, *keys)``."""
    return int(seed_sequence(base, *keys).generate_state(1, np.uint64)[0] >> 1)


def rng(base: int, *keys: Key) -> np.random.Generator:
    """``np.random.default_rng`` of the stream ``(base, *keys)``; ``rng(s, i)`` is the same
    generator as ``default_rng([s, i])``."""
    return np.random.default_rng(seed_sequence(base, *keys))
