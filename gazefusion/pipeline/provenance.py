"""What is needed to regenerate an image: hashes of inputs and weights, library versions."""

from __future__ import annotations

from importlib import metadata

from gazefusion.utils.hashing import array_sha256, file_sha256

__all__ = ["RECORDED_LIBRARIES", "array_sha256", "file_sha256", "library_versions"]

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
