"""Shared pytest set-up: offline, headless, deterministic, one thread per xdist worker."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 xdist workers on 2 cores: no oversubscription

import torch  # noqa: E402

torch.set_num_threads(1)
