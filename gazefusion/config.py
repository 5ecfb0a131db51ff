"""The one configuration mechanism: frozen pydantic v2 models with one-line errors.

Every configuration of the toolkit (sampling, prepare, train, bench, the toy recipe, the display,
smap specs, the study file) is a :class:`Config`: a frozen pydantic model that validates on
creation, rejects unknown fields, refuses NaN/inf, and round-trips through JSON
(:meth:`Config.to_json` / :meth:`Config.from_json`, schema from :meth:`Config.json_schema`).

A validation failure is raised as one :class:`~gazefusion.errors.UserInputError` line that names
the field as the user wrote it (``--resolution`` for an option, ``[trials] duration_s`` for a study
file: :meth:`Config.field_label`), what was expected and what was found::

    --resolution: expected a positive multiple of 8, found 12

Field checks are pydantic constraints (``Field(gt=0)``) or validators that raise
``ValueError("a positive multiple of 8")`` -- the text says what is *expected*. A whole-model check
(a ``model_validator``) that needs its own wording raises :class:`UserInputError` with the full
line, which is passed on verbatim.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from gazefusion.errors import UserInputError

__all__ = ["Config", "ConfigError", "config_error", "field_annotation_base", "is_nullable"]


class Config(BaseModel):
    """Base of every configuration: frozen, validated, no unknown fields, finite numbers only."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        arbitrary_types_allowed=True,
        validate_default=False,
    )

    #: How :meth:`field_label` names a field: ``"plain"`` (``a.b``), ``"option"`` (``--a-b``).
    label_style: ClassVar[str] = "plain"

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise config_error(exc, type(self)) from None

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        """The name of the field at ``loc`` as the user wrote it (override for files/sections)."""
        parts = [str(p) for p in loc]
        if cls.label_style == "option" and parts:
            return "--" + parts[0].replace("_", "-") + "".join(f"[{p}]" for p in parts[1:])
        return ".".join(parts) or cls.__name__

    # -- copies and JSON -------------------------------------------------------------------------

    def replace(self, **changes: Any) -> Self:
        """A validated copy with ``changes`` (an unknown field name is a one-line error)."""
        if not changes:
            return self
        return type(self)(**{**{k: getattr(self, k) for k in type(self).model_fields}, **changes})

    def to_json(self) -> dict[str, Any]:
        """The fields as plain JSON values (paths as text, tuples as lists); :meth:`from_json` reads it."""
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Validate ``data`` (e.g. a parsed JSON/TOML mapping) into a config; one-line errors."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise config_error(exc, cls) from None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON schema of the config's file form."""
        return cls.model_json_schema()

    def differences(self, other: Config) -> list[str]:
        """Names of the fields whose JSON values differ from ``other``'s, in field order."""
        mine, theirs = self.to_json(), other.to_json()  # already plain JSON values
        return [k for k in mine if mine[k] != theirs.get(k)]


# -- errors ---------------------------------------------------------------------------------------


class ConfigError(UserInputError):
    """A config's validation failure: one line; ``errors`` keeps pydantic's list of problems."""

    def __init__(self, line: str, errors: list[Any]) -> None:
        super().__init__(line)
        self.errors = errors


def config_error(exc: ValidationError, cls: type[Config]) -> ConfigError:
    """One :class:`UserInputError` line for the first problem of ``exc`` (plus a count of the rest)."""
    errors = _flatten(exc.errors(include_url=False), ())
    line = _describe(errors[0], cls)
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ConfigError(line, errors)


def _flatten(errors: list[Any], prefix: tuple) -> list[Any]:
    """Errors of nested configs (raised by their own ``__init__``) at their full location."""
    flat = []
    for err in errors:
        loc = prefix + tuple(err.get("loc", ()))
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, ConfigError):
            flat.extend(_flatten(cause.errors, loc))
        else:
            flat.append({**err, "loc": loc})
    return flat


def _describe(err: Any, cls: type[Config]) -> str:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, UserInputError):
        return str(cause)
    label = cls.field_label(loc) if loc else cls.field_label(())
    found = err.get("input")
    if kind == "missing":
        return f"{label}: expected a value, none given"
    if kind == "extra_forbidden":
        known = _known_fields(cls, loc[:-1])
        hint = f"; known: {', '.join(known)}" if known else ""
        return f"{label}: unknown setting{hint}"
    if cause is not None:
        expected = str(cause)
    elif kind in _EXPECTED:
        expected = _EXPECTED[kind].format(**(err.get("ctx") or {}))
    else:
        expected = str(err.get("msg", "a valid value"))
        for prefix in ("Input should be ", "Value error, ", "Assertion failed, "):
            if expected.startswith(prefix):
                expected = expected[len(prefix) :]
                break
    return f"{label}: expected {expected}, found {found!r}"


#: What pydantic's common error types expect, in our words (others: pydantic's message).
_EXPECTED = {
    "greater_than_equal": "a number >= {ge}",
    "greater_than": "a number > {gt}",
    "less_than_equal": "a number <= {le}",
    "less_than": "a number < {lt}",
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "path_type": "a file path",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a table of settings",
    "model_type": "a table of settings",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
}


def _known_fields(cls: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names of the model at ``loc`` inside ``cls`` (best effort: [] when unknown)."""
    model: Any = cls
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        model = _model_in(fields[part].annotation)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# -- annotations (for parsers generated from fields) ----------------------------------------------


def is_nullable(annotation: Any) -> bool:
    """Whether a field annotation admits ``None`` (``X | None``)."""
    return _is_union(annotation) and type(None) in typing.get_args(annotation)


def field_annotation_base(annotation: Any) -> Any:
    """The value type of an annotation: ``int | None`` -> int, ``tuple[str, ...]`` -> str."""
    if _is_union(annotation):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is tuple:
        return typing.get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
