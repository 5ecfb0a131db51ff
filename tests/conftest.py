"""Shared pytest set-up: offline, headless, deterministic, one thread per xdist worker."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 xdist workers on 2 cores: no oversubscription

import torch  # noqa: E402
from hypothesis import settings  # noqa: E402

torch.set_num_threads(1)

# CI (CI=true; .ci/run sets it): hypothesis draws the same examples in every clone and run (no
# example database, no timing deadline on a shared machine). HYPOTHESIS_PROFILE overrides.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() == "true" else "default")
)

import pytest  # noqa: E402


def pytest_runtest_setup(item):
    """Tests get the tiny random model for ``model=None`` (fast), subprocesses and session fixtures
    included; ``@pytest.mark.toy_model`` tests get the shipped default model (the trained toy
    GazeFusion) and are skipped where it is absent. Runs before the item's fixtures are set up."""
    os.environ.pop("GAZEFUSION_MODEL", None)
    if item.get_closest_marker("toy_model") is None:
        os.environ["GAZEFUSION_BUILTIN_MODEL"] = "0"
        return
    os.environ.pop("GAZEFUSION_BUILTIN_MODEL", None)
    from gazefusion.models import loading

    if loading.default_model_path() is None:
        pytest.skip(
            "the built-in toy model (gazefusion/models/weights/gazefusion-toy) is not in this checkout"
        )
