#!/usr/bin/env bash
# Install everything, then run the whole test suite (under a virtual X screen for PsychoPy).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 DIFFUSERS_OFFLINE=1
export SDL_AUDIODRIVER=dummy MPLBACKEND=Agg PYTHONHASHSEED=0
# Two xdist workers on two cores: one torch/BLAS thread each (more threads oversubscribe badly).
export OMP_NUM_THREADS=1
exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest -n 2 "$@"
