"""The one registry shape: look-up by any accepted spelling, one error for an unknown name."""

import pytest

from gazefusion.errors import UnknownNameError, UserInputError
from gazefusion.registry import Registry


def _registry() -> Registry[int]:
    reg: Registry[int] = Registry("colour", aliases={"grey": "gray"}, normalise=str.lower)
    reg.register("gray", 1)
    reg.register("Red", 2)  # registered spellings are found as given, before normalising
    return reg


def test_lookup_spellings_and_mapping_protocol():
    reg = _registry()
    assert reg.get("gray") == reg.get(" GREY ") == reg["grey"] == 1 and reg.get("Red") == 2
    assert "grey" in reg and "blue" not in reg and 3 not in reg
    assert reg.names() == ["Red", "gray"] and list(reg) == ["gray", "Red"] and len(reg) == 2
    assert reg.get("blue", None) is None and reg.canonical("GREY") == "gray"


def test_unknown_name_is_one_user_error_and_a_key_error():
    with pytest.raises(UnknownNameError, match=r"^unknown colour 'blue'; known: Red, gray$") as exc:
        _registry().get("blue")
    assert isinstance(exc.value, UserInputError) and isinstance(exc.value, KeyError)
    assert str(exc.value) == "unknown colour 'blue'; known: Red, gray"  # not KeyError's quoted repr


def test_register_as_decorator_duplicates_and_unregister():
    reg: Registry[type] = Registry("thing")

    @reg.register("a")
    class A:
        pass

    assert reg.get("a") is A
    reg.register("a", A)  # the same entry again is fine
    with pytest.raises(UserInputError, match="thing 'a' is already registered"):
        reg.register("a", int)
    reg.register("a", int, replace=True)
    assert reg.get("a") is int
    with pytest.raises(UserInputError, match="non-empty"):
        reg.register(" ", int)
    reg.unregister("a")
    reg.unregister("a")
    assert "a" not in reg


def test_loader_runs_before_lookups():
    reg: Registry[int] = Registry("lazy", loader=lambda: reg.register("late", 7, replace=True))
    assert reg.names() == ["late"] and reg.get("late") == 7


def test_saliency_models_and_trackers_share_the_shape_and_metrics_the_message():
    from gazefusion.saliency.registry import SALIENCY_MODELS
    from metrics import get_metric
    from study.trackers import TRACKERS

    for reg, kind in ((SALIENCY_MODELS, "saliency model"), (TRACKERS, "tracker")):
        assert isinstance(reg, Registry)
        with pytest.raises(UnknownNameError, match=f"^unknown {kind} 'nope'; known: "):
            reg.get("nope")
    # metrics imports nothing of gazefusion (tests/test_layers.py): a KeyError, same message form
    with pytest.raises(KeyError, match="unknown metric 'nope'; known: auc_borji, "):
        get_metric("nope")
