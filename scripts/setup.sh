#!/usr/bin/env bash
# Install everything the toolkit, its demo and its tests need into ./.venv (idempotent).
#
# - Debian packages: Xvfb and Mesa GL for PsychoPy windows on a machine without a screen.
# - Python: a virtual environment with the pinned torch/torchvision (installed from the
#   machine's local wheel store; never an unpinned torch, which would download several GB)
#   and the project with its test extras, in editable mode.
# A stamp file skips the pip step when pyproject.toml and this script are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(xvfb xauth libgl1 libglu1-mesa libgl1-mesa-dri libegl1 libxrender1 libxi6 libxkbcommon0
  libasound2 libportaudio2 libsndfile1 libgtk-3-0
  chromium)  # the browser the `gazefusion app` tests drive (Playwright with executable_path)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp_now=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$stamp_now" ]; then
  echo "setup: installing Python packages into .venv (first run takes several minutes)"
  .venv/bin/python -m pip install -q --upgrade "pip>=24"
  .venv/bin/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
  .venv/bin/python -m pip install -q -e ".[test]"
  echo "$stamp_now" > .venv/.setup-stamp
fi
# psychopy pulls opencv-python beside opencv-contrib-python-headless; both own cv2. Make sure
# the contrib build (with cv2.saliency) is the one on disk, never uninstalling either alone.
if ! .venv/bin/python -c "import cv2, sys; sys.exit(0 if hasattr(cv2, 'saliency') else 1)" 2>/dev/null; then
  echo "setup: reinstalling opencv-contrib-python-headless so that cv2.saliency is present"
  .venv/bin/python -m pip install -q --force-reinstall --no-deps opencv-contrib-python-headless
fi
