#!/usr/bin/env bash
# Install everything, lint (ruff check + ruff format --check), then run the test suite under a
# virtual X screen (for PsychoPy). Arguments go to pytest, e.g. `bash scripts/test.sh tests/metrics -x`.
# Exit status: pytest's when tests fail (or none ran: 5), else 1 when lint failed, else 0.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 DIFFUSERS_OFFLINE=1
export SDL_AUDIODRIVER=dummy MPLBACKEND=Agg PYTHONHASHSEED=0
# Two xdist workers on two cores: one torch/BLAS thread each (more threads oversubscribe badly).
export OMP_NUM_THREADS=1

lint=0
.venv/bin/ruff check . || lint=1
.venv/bin/ruff format --check . || lint=1
[ "$lint" -eq 0 ] || echo "ruff: lint failed (the tests run anyway; the exit status will say so)" >&2

status=0
xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python -m pytest -n 2 "$@" || status=$?
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
exit "$lint"
