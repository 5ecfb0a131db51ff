#!/usr/bin/env bash
# Install everything, then run the main job on the embedded default (the built-in toy GazeFusion, no downloads).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
exec .venv/bin/gazefusion demo "$@"
