"""Documented maximum sizes, checked before anything of that size is allocated.

- :data:`MAX_MAP_SIDE_PX` (8192): the largest side of a saliency map that is rendered from a spec,
  resized or fed as a hint (``smap render``, specs' ``size``, ``--width-px``/``--height-px``). A
  float64 canvas of 8192 x 8192 takes 512 MiB.
- :data:`MAX_IMAGE_SIDE_PX` (2048): the largest side of a generated image (``generate
  --height/--width``, ``bench run --size``): four times SD2.1-base's 512 px; its VAE decode alone
  needs several GiB there.

Larger values are refused with one line that names the option, the maximum and the memory the
request would take, instead of running out of memory part-way.
"""

from __future__ import annotations

from gazefusion.errors import UserInputError

MAX_MAP_SIDE_PX = 8192
MAX_IMAGE_SIDE_PX = 2048


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MiB"


def check_map_size(width: int, height: int, name: str) -> None:
    """Refuse a map larger than :data:`MAX_MAP_SIDE_PX` per side (one line naming ``name``)."""
    if max(width, height) > MAX_MAP_SIDE_PX:
        raise UserInputError(
            f"{name}: expected sides up to {MAX_MAP_SIDE_PX} px (the documented maximum), found "
            f"{width}x{height} (a float64 map of that size alone needs {_gib(8.0 * width * height)})"
        )


def check_image_side(value: int | None, name: str) -> int | None:
    """``value`` (None: not given) as an image side in pixels: 1 .. :data:`MAX_IMAGE_SIDE_PX`.

    Sides that are not multiples of 8 are allowed here; the pipeline rounds them with a notice.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserInputError(f"{name}: expected a positive number of pixels, found {value!r}")
    if value > MAX_IMAGE_SIDE_PX:
        raise UserInputError(
            f"{name}: expected at most {MAX_IMAGE_SIDE_PX} px (the documented maximum), found {value} "
            f"(one float32 RGB image of {value}x{value} alone needs {_gib(12.0 * value * value)})"
        )
    return value
