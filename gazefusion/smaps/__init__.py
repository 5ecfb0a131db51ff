"""Saliency maps ("smaps"): the convention, files, authoring from specs, built-ins.

**Convention (stated once, used everywhere):** an smap is a ``numpy.float32`` array of shape
(H, W) with values in [0, 1]; higher = more attention wanted. A *file* is divided by its format
maximum only (255 for 8-bit, 65535 for 16-bit) and never re-normalised on load, because the
original checkpoint was trained on hints read that way (its ``smap1`` peaks at 178/255).
Authoring (:func:`render_spec`) may normalise what it builds. Positions are (x, y) px, origin
top-left, y down; pixel (row i, column j) has its centre at (x=j, y=i).

- :mod:`~gazefusion.smaps.io`: :func:`load_smap`, :func:`save_smap`, :func:`validate_smap`.
- :mod:`~gazefusion.smaps.spec`: :class:`SmapSpec` (TOML/JSON), the authoring format.
- :mod:`~gazefusion.smaps.render`: :func:`render_spec`, :func:`adapt_to_display`.
- :mod:`~gazefusion.smaps.assets`: built-ins, :data:`DEFAULT_SMAP`, :func:`resolve_smap`.
- :mod:`~gazefusion.smaps.overlay`: :func:`jet_overlay`, the original's visualisation.
"""

from gazefusion.smaps.assets import (
    DEFAULT_SMAP,
    assets_dir,
    build_assets,
    builtin_names,
    builtin_spec,
    resolve_smap,
)
from gazefusion.smaps.io import load_smap, quantize_smap, resize_smap, save_smap, validate_smap
from gazefusion.smaps.overlay import jet_colormap, jet_overlay
from gazefusion.smaps.render import adapt_to_display, image_px_per_deg, render_spec, screen_scale
from gazefusion.smaps.spec import Element, Keyframes, SmapSpec
from gazefusion.smaps.stats import SmapStats, smap_stats

__all__ = [
    "DEFAULT_SMAP",
    "Element",
    "Keyframes",
    "SmapSpec",
    "SmapStats",
    "adapt_to_display",
    "assets_dir",
    "build_assets",
    "builtin_names",
    "builtin_spec",
    "image_px_per_deg",
    "jet_colormap",
    "jet_overlay",
    "load_smap",
    "quantize_smap",
    "render_spec",
    "resize_smap",
    "resolve_smap",
    "save_smap",
    "screen_scale",
    "smap_stats",
    "validate_smap",
]
