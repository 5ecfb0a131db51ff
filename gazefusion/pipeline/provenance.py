"""What is needed to regenerate an image: hashes of inputs and weights, library versions."""

from __future__ import annotations

import hashlib
import os
from importlib import metadata

import numpy as np

#: Libraries whose versions are recorded in every sidecar.
RECORDED_LIBRARIES = ("gazefusion", "torch", "diffusers", "transformers", "numpy")


def library_versions() -> dict[str, str]:
    """Installed versions of :data:`RECORDED_LIBRARIES` ("not installed" when absent)."""
    versions = {}
    for name in RECORDED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a (small) file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and C-order bytes."""
    a = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()
