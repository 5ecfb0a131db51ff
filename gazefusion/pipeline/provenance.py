"""What is needed to regenerate an image: hashes of inputs and weights, library versions."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from importlib import metadata
from typing import Any

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
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and C-order bytes."""
    a = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def weights_sha256(modules: Mapping[str, Any]) -> str:
    """SHA-256 over the modules' state dicts: for each module and key (sorted), name, dtype, shape, bytes.

    Independent of the device; it does depend on the dtype (an fp16 copy hashes differently).
    """
    import torch

    h = hashlib.sha256()
    for module_name in sorted(modules):
        state = modules[module_name].state_dict()
        for key in sorted(state):
            t = state[key].detach().to("cpu").contiguous()
            h.update(f"{module_name}.{key}|{t.dtype}|{tuple(t.shape)}|".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()

