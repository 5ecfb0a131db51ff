"""The pysaliency adapter, compared with pysaliency's own output."""

import numpy as np
import pysaliency
import pytest

from gazefusion.errors import UserInputError
from gazefusion.saliency import get_saliency_model, unregister_saliency_model
from gazefusion.saliency.pysaliency_adapter import PysaliencyModel, register_pysaliency_model


def test_saliency_map_model_min_max_normalised():
    ps = pysaliency.GaussianSaliencyMapModel(width=0.3, caching=False)
    img = np.zeros((30, 40, 3), np.uint8)
    ref = ps.saliency_map(img)
    ref = (ref - ref.min()) / (ref.max() - ref.min())
    np.testing.assert_allclose(PysaliencyModel(ps).predict(img)[0], ref, atol=1e-6)


class _GaussianDensityModel(pysaliency.Model):
    """A probabilistic pysaliency model: an isotropic Gaussian fixation density around (cx, cy)."""

    def __init__(self, cx: float, cy: float, sigma: float) -> None:
        super().__init__(caching=False)
        self.cx, self.cy, self.sigma = cx, cy, sigma

    def _log_density(self, stimulus):
        h, w = stimulus.shape[:2]
        y, x = np.mgrid[0:h, 0:w]
        log_p = -((x - self.cx) ** 2 + (y - self.cy) ** 2) / (2 * self.sigma**2)
        return log_p - np.log(np.exp(log_p).sum())


def test_probabilistic_model_uses_density():
    img = np.zeros((20, 30, 3), np.uint8)
    ps = _GaussianDensityModel(cx=21.0, cy=6.0, sigma=4.0)
    np.testing.assert_allclose(np.exp(ps.log_density(img)).sum(), 1.0, rtol=1e-9)  # a real density
    y, x = np.mgrid[0:20, 0:30]
    gauss = np.exp(-((x - 21.0) ** 2 + (y - 6.0) ** 2) / 32.0)
    expected = (gauss - gauss.min()) / (gauss.max() - gauss.min())
    got = PysaliencyModel(ps).predict(img)[0]
    assert got.dtype == np.float32 and got.shape == (20, 30)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # the min-max of the log density (a paraboloid) would be another map entirely
    log_map = ps.log_density(img)
    log_map = (log_map - log_map.min()) / (log_map.max() - log_map.min())
    assert np.abs(log_map - expected).max() > 0.5


def test_registration_by_name_with_lazy_factory_and_availability():
    built = []

    def factory():
        built.append(1)
        return pysaliency.GaussianSaliencyMapModel(caching=False)

    register_pysaliency_model("test-ps", factory, needs_weights=True, available=lambda: False)
    try:
        model = get_saliency_model("test-ps", batch_size=2)
        assert built == [] and model.needs_weights and not model.is_available()
        assert model.predict([np.zeros((5, 6, 3), np.uint8)] * 3)[2].shape == (5, 6)
        assert built == [1]
    finally:
        unregister_saliency_model("test-ps")


def test_not_a_model_is_user_error():
    with pytest.raises(UserInputError, match="pysaliency"):
        PysaliencyModel(42).predict(np.zeros((5, 6, 3), np.uint8))
