"""Video with the ControlNet active, on the trained toy model: a keyframed smap moves the content.

The blob of ``moving_blob`` goes from x = 96 to x = 416 px (of 512) over the clip; the predicted
saliency's centre of mass in the frames must follow it from left to right. The twin test with a
random ControlNet must not show the same.
"""

import numpy as np
import pytest

pytestmark = [pytest.mark.toy_model, pytest.mark.slow]

FRAMES = 5


def _centroids(pipe, prompt="a purple star on a gradient grey background", seed=4):
    from gazefusion.saliency import get_saliency_model
    from gazefusion.smaps import resolve_smap
    from gazefusion.video import generate_video

    smaps = [resolve_smap("moving_blob", size=(64, 64), t=t)[0] for t in np.linspace(0, 1, FRAMES)]
    out = generate_video(pipe, prompt, smaps, seed=seed, steps=20, guidance_scale=5.0, height=64, width=64)
    scorer = get_saliency_model("spectral-residual", blur=0.0625)
    xs = []
    for frame in out.frames:
        pred = scorer.predict([np.asarray(frame)])[0]
        xs.append(float((pred.sum(axis=0) * np.arange(64)).sum() / pred.sum()))
    targets = [float((m.sum(axis=0) * np.arange(64)).sum() / m.sum()) for m in smaps]
    return np.asarray(xs), np.asarray(targets)


def _follows(xs, targets) -> bool:
    """The saliency moves right with the blob: correlated with it and > 1/4 of the blob's travel."""
    r = np.corrcoef(xs, targets)[0, 1]
    return bool(r > 0.8 and xs[-1] - xs[0] > 0.25 * (targets[-1] - targets[0]))


def test_predicted_saliency_follows_the_moving_smap():
    from gazefusion.pipeline import GazeFusionPipeline

    pipe = GazeFusionPipeline.from_pretrained(None)
    results = [_centroids(pipe, seed=s) for s in (4, 5)]
    assert all(_follows(xs, t) for xs, t in results), results


def test_with_a_random_controlnet_it_does_not():
    from testsupport import random_controlnet_pipeline

    pipe = random_controlnet_pipeline()
    results = [_centroids(pipe, seed=s) for s in (4, 5)]
    assert not all(_follows(xs, t) for xs, t in results), results
