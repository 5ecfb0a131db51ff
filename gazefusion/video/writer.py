"""Write frames as an MP4 (H.264 via imageio-ffmpeg) or an animated GIF, atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.utils.atomic import atomic_path

VIDEO_FORMATS = (".mp4", ".gif")


def write_video(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 8.0) -> Path:
    """Write uint8 (H, W, 3) ``frames`` to ``path``; the format follows the extension (.mp4 or .gif).

    MP4 is H.264 in yuv420p (playable everywhere), so odd sides are not allowed there. In a GIF,
    Pillow merges identical consecutive frames into one longer frame (the duration is kept).
    """
    import imageio.v3 as iio

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in VIDEO_FORMATS:
        raise UserInputError(
            f"video path: expected a {' or '.join(VIDEO_FORMATS)} file, found {target.name!r}"
        )
    if fps <= 0:
        raise UserInputError(f"fps: expected > 0, found {fps}")
    stack = np.stack([np.asarray(f, dtype=np.uint8) for f in frames])
    with atomic_path(target) as tmp:
        if suffix == ".mp4":
            if stack.shape[1] % 2 or stack.shape[2] % 2:
                raise UserInputError(
                    f"video size: MP4 needs even sides, found {stack.shape[2]}x{stack.shape[1]}"
                )
            iio.imwrite(
                tmp,
                stack,
                plugin="FFMPEG",
                fps=fps,
                codec="libx264",
                macro_block_size=1,
                pixelformat="yuv420p",
            )
        else:
            iio.imwrite(tmp, stack, plugin="pillow", duration=1000.0 / fps, loop=0)
    return target
