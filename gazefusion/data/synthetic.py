"""A seeded, procedural world of simple RGB scenes with captions (the toy model's training data).

Each scene is a background (plain, two-colour gradient, stripes, checkerboard or smooth noise, in
muted colours) with 1–4 objects (disc, square, triangle, star, ring) of named colours, sizes and
contrasts, and a caption that names what is there, e.g. ``"a red star and a grey square on a
striped green background"``. Objects differ in colour contrast to the background and in size, so
low-level saliency (spectral residual, Itti-Koch) differs between objects and positions.

Scene ``k`` of a world is a pure function of ``(seed, k)`` (:func:`scene_rng`), so any subset can be
regenerated without the others. Some (colour, shape) pairs are held out of training
(:data:`HELD_OUT_PAIRS`): prompts built from them test generalisation to new combinations.

Conventions: images are uint8 (H, W, 3) RGB; positions are pixels, origin top-left, x right, y down.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gazefusion.utils.seeds import rng as seeded_rng

#: Named object colours (RGB, 0–255).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (40, 180, 60),
    "blue": (40, 70, 220),
    "yellow": (240, 220, 40),
    "orange": (245, 140, 20),
    "purple": (140, 50, 190),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "grey": (128, 128, 128),
    "cyan": (40, 210, 220),
    "pink": (245, 130, 190),
    "brown": (130, 80, 40),
}
#: Background colour names (a muted version of :data:`COLOURS` is used).
BACKGROUND_COLOURS = ("green", "blue", "grey", "brown", "yellow", "purple", "orange", "cyan")
SHAPES = ("disc", "square", "triangle", "star", "ring")
BACKGROUNDS = ("plain", "gradient", "striped", "checkered", "mottled")
#: (colour, shape) pairs never drawn in training scenes; held-out prompts use them.
HELD_OUT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {("purple", "star"), ("yellow", "ring"), ("cyan", "triangle"), ("orange", "square"), ("pink", "disc")}
)


@dataclass(frozen=True)
class SceneObject:
    """One object: shape, colour name, centre (x, y) and radius in pixels."""

    shape: str
    colour: str
    x: float
    y: float
    radius: float


@dataclass(frozen=True)
class Scene:
    """A rendered scene: ``image`` uint8 (H, W, 3), its ``caption`` and what it contains."""

    image: np.ndarray
    caption: str
    objects: tuple[SceneObject, ...]
    background: str
    background_colour: str


def scene_rng(seed: int, index: int) -> np.random.Generator:
    """The random generator of scene ``index`` of the world ``seed`` (independent of other scenes)."""
    return seeded_rng(seed, index)


def _muted(name: str, rng: np.random.Generator) -> np.ndarray:
    base = np.asarray(COLOURS[name], dtype=np.float32)
    grey = np.full(3, 128.0, dtype=np.float32)
    return 0.45 * base + 0.55 * grey + rng.uniform(-12, 12, 3).astype(np.float32)


def _background(kind: str, colour: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A float32 (size, size, 3) background in 0–255."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    a = _muted(colour, rng)
    b = a * rng.uniform(0.72, 0.9) + rng.uniform(-10, 10, 3).astype(np.float32)
    if kind == "plain":
        mix = np.zeros((size, size), np.float32)
    elif kind == "gradient":
        angle = rng.uniform(0, 2 * np.pi)
        mix = np.cos(angle) * xx + np.sin(angle) * yy
        mix = (mix - mix.min()) / max(float(np.ptp(mix)), 1e-6)
    elif kind == "striped":
        angle = rng.choice([0.0, np.pi / 2, np.pi / 4, -np.pi / 4])
        period = rng.uniform(0.12, 0.3)
        phase = np.cos(angle) * xx + np.sin(angle) * yy
        mix = (np.sin(2 * np.pi * phase / period) > 0).astype(np.float32)
    elif kind == "checkered":
        cells = int(rng.integers(3, 7))
        mix = ((np.floor(xx * cells) + np.floor(yy * cells)) % 2).astype(np.float32)
    elif kind == "mottled":
        coarse = rng.uniform(0, 1, (5, 5)).astype(np.float32)
        from scipy.ndimage import zoom

        mix = zoom(coarse, size / 5, order=3)[:size, :size]
        mix = np.clip((mix - mix.min()) / max(float(np.ptp(mix)), 1e-6), 0, 1)
    else:
        raise ValueError(f"unknown background {kind!r}")
    return a[None, None] * (1 - mix[..., None]) + b[None, None] * mix[..., None]


def _shape_mask(shape: str, x: float, y: float, r: float, size: int, angle: float) -> np.ndarray:
    """Anti-aliased coverage (size, size) in [0, 1] of one shape (4×4 supersampling)."""
    ss = 4
    grid = (np.arange(size * ss, dtype=np.float32) + 0.5) / ss
    gx, gy = np.meshgrid(grid, grid)
    dx, dy = gx - x, gy - y
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * dx + s * dy, -s * dx + c * dy
    dist = np.hypot(dx, dy)
    if shape == "disc":
        inside = dist <= r
    elif shape == "ring":
        inside = (dist <= r) & (dist >= 0.55 * r)
    elif shape == "square":
        half = r * 0.85
        inside = (np.abs(u) <= half) & (np.abs(v) <= half)
    elif shape in ("triangle", "star"):
        points = 3 if shape == "triangle" else 5
        theta = np.arctan2(v, u)
        sector = 2 * np.pi / points
        local = (theta % sector) - sector / 2
        if shape == "triangle":
            # distance to the edge of a regular triangle of circumradius r
            inside = dist * np.cos(local) <= r * np.cos(np.pi / points)
        else:
            inner = 0.45 * r
            t = np.abs(local) / (sector / 2)  # 0 at a point, 1 between points
            inside = dist <= r * (1 - t) + inner * t
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return inside.reshape(size, ss, size, ss).mean(axis=(1, 3)).astype(np.float32)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def caption_for(objects: tuple[SceneObject, ...], background: str, background_colour: str) -> str:
    """``"a red star and a grey square on a striped green background"``."""
    names = [f"{_article(o.colour)} {o.colour} {o.shape}" for o in objects]
    things = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    adjective = {
        "plain": "",
        "gradient": "gradient ",
        "striped": "striped ",
        "checkered": "checkered ",
        "mottled": "mottled ",
    }[background]
    return f"{things} on {_article(adjective or background_colour)} {adjective}{background_colour} background"


def _draw_objects(
    rng: np.random.Generator, size: int, n: int, allow_held_out: bool, background_colour: str
) -> list[SceneObject]:
    objects: list[SceneObject] = []
    for _ in range(n):
        for _attempt in range(50):
            shape = str(rng.choice(SHAPES))
            colour = str(rng.choice(list(COLOURS)))
            if not allow_held_out and (colour, shape) in HELD_OUT_PAIRS:
                continue
            radius = float(rng.uniform(0.08, 0.2) * size)
            x = float(rng.uniform(radius, size - radius))
            y = float(rng.uniform(radius, size - radius))
            if all(np.hypot(x - o.x, y - o.y) > 0.9 * (radius + o.radius) for o in objects):
                objects.append(SceneObject(shape, colour, x, y, radius))
                break
    return objects


def render_scene(
    objects: tuple[SceneObject, ...],
    background: str,
    background_colour: str,
    size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw ``objects`` (in order) over a background; uint8 (size, size, 3)."""
    canvas = _background(background, background_colour, size, rng)
    for obj in objects:
        mask = _shape_mask(obj.shape, obj.x, obj.y, obj.radius, size, float(rng.uniform(0, 2 * np.pi)))
        colour = np.asarray(COLOURS[obj.colour], np.float32) * rng.uniform(0.85, 1.05)
        canvas = canvas * (1 - mask[..., None]) + colour[None, None] * mask[..., None]
    canvas += rng.normal(0, 2.0, canvas.shape).astype(np.float32)  # faint sensor-like grain
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def make_scene(seed: int, index: int, size: int = 64, *, allow_held_out: bool = False) -> Scene:
    """Scene ``index`` of the world ``seed``: a pure function of its arguments."""
    rng = scene_rng(seed, index)
    background = str(rng.choice(BACKGROUNDS))
    background_colour = str(rng.choice(BACKGROUND_COLOURS))
    n = int(rng.choice([1, 1, 2, 2, 3, 4]))
    objects = tuple(_draw_objects(rng, size, n, allow_held_out, background_colour))
    image = render_scene(objects, background, background_colour, size, rng)
    return Scene(
        image, caption_for(objects, background, background_colour), objects, background, background_colour
    )


def iter_scenes(seed: int, count: int, size: int = 64, start: int = 0) -> Iterator[tuple[int, Scene]]:
    """``(index, scene)`` for ``index`` in ``start .. count-1`` (training scenes: no held-out pair)."""
    for index in range(start, count):
        yield index, make_scene(seed, index, size)


def held_out_prompts(seed: int = 0, count: int = 8) -> list[str]:
    """Prompts each naming a held-out (colour, shape) pair, never seen in training captions."""
    rng = seeded_rng(seed, 0x5EED)
    pairs = sorted(HELD_OUT_PAIRS)
    prompts = []
    for k in range(count):
        colour, shape = pairs[k % len(pairs)]
        background = str(rng.choice(BACKGROUNDS))
        bg_colour = str(rng.choice([c for c in BACKGROUND_COLOURS if c != colour]))
        prompts.append(caption_for((SceneObject(shape, colour, 0, 0, 1),), background, bg_colour))
    return prompts
