"""One shape for the toolkit's name -> entry registries (saliency models, eye trackers).

A :class:`Registry` is a read-only mapping of canonical names to entries, filled by
:meth:`Registry.register` (a decorator or a plain call). Every look-up goes through
:meth:`Registry.canonical` (spelling variants: an optional normaliser and aliases), and an unknown
name raises :class:`~gazefusion.errors.UnknownNameError`, a :class:`UserInputError` (the CLI prints
it as one line) that is also a :class:`KeyError` (so mapping code keeps working). The metrics
table (:data:`metrics.METRICS`) cannot use it - ``metrics`` imports nothing of the toolkit - but
:func:`metrics.get_metric` gives the same message (as a ``KeyError``)::

    unknown saliency model 'foo'; known: centre-bias, emlnet, itti-koch

Examples
--------
>>> reg = Registry("colour", aliases={"grey": "gray"})
>>> _ = reg.register("gray", 0.5)
>>> reg.get("grey"), "grey" in reg, reg.names()
(0.5, True, ['gray'])
>>> reg.get("red")
Traceback (most recent call last):
...
gazefusion.errors.UnknownNameError: unknown colour 'red'; known: gray
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from gazefusion.errors import UnknownNameError, UserInputError

T = TypeVar("T")
_MISSING = object()

__all__ = ["Registry", "UnknownNameError"]


class Registry(Mapping[str, T], Generic[T]):
    """Entries of one ``kind`` by name.

    Parameters
    ----------
    kind : str
        What the entries are, for messages ("metric", "saliency model").
    aliases : mapping, optional
        Alternative spellings -> canonical name (after ``normalise``).
    normalise : callable, optional
        Applied to a name that is not registered as given (e.g. lower case, ``_`` -> ``-``).
    loader : callable, optional
        Called before every look-up or listing (lazy imports and plugins that register entries);
        also settable later as the ``loader`` attribute.
    """

    def __init__(
        self,
        kind: str,
        *,
        aliases: Mapping[str, str] | None = None,
        normalise: Callable[[str], str] | None = None,
        loader: Callable[[], None] | None = None,
    ) -> None:
        self.kind = kind
        self.aliases = dict(aliases or {})
        self._normalise = normalise
        self.loader = loader
        self._entries: dict[str, T] = {}

    # -- filling -----------------------------------------------------------------------------
    def register(self, name: str, entry: T | None = None, *, replace: bool = False):
        """Register ``entry`` under ``name``; without ``entry``, a decorator doing so.

        Raises :class:`UserInputError` for an empty name or a name already taken by another
        entry (unless ``replace``)."""
        if not isinstance(name, str) or not name.strip():
            raise UserInputError(f"{self.kind} name must be a non-empty string, got {name!r}")

        def add(obj: T) -> T:
            if name in self._entries and not replace and self._entries[name] is not obj:
                raise UserInputError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = obj
            return obj

        return add if entry is None else add(entry)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (no error if absent)."""
        self._entries.pop(name, None)

    # -- look-up -----------------------------------------------------------------------------
    def load(self) -> None:
        """Run the loader (if any) so that lazily registered entries are known."""
        if self.loader is not None:
            self.loader()

    def canonical(self, name: str) -> str:
        """Registered spelling of ``name`` (itself if registered, else normalised and de-aliased);
        the result need not be registered."""
        key = name.strip()
        if key in self._entries:
            return key
        if self._normalise is not None:
            key = self._normalise(key)
        return self.aliases.get(key, key)

    def get(self, name: str, default: object = _MISSING) -> T:  # type: ignore[override]
        """The entry called ``name`` (any accepted spelling); :class:`UnknownNameError` listing
        the known names if there is none (or ``default`` when one is given)."""
        entry = self._lookup(name)
        if entry is not _MISSING:
            return entry  # type: ignore[return-value]
        if default is not _MISSING:
            return default  # type: ignore[return-value]
        raise self.unknown(name)

    def _lookup(self, name: object) -> object:
        self.load()
        if not isinstance(name, str):
            return _MISSING
        return self._entries.get(self.canonical(name), _MISSING)

    def unknown(self, name: object) -> UnknownNameError:
        """The error for an unknown ``name``: kind, the name given and :meth:`known`."""
        return UnknownNameError(f"unknown {self.kind} {name!r}; known: {self.known()}")

    def known(self) -> str:
        """The known names for messages (sorted, comma-separated)."""
        return ", ".join(self.names())

    def names(self) -> list[str]:
        """Sorted canonical names."""
        self.load()
        return sorted(self._entries)

    # -- mapping protocol (registration order) -----------------------------------------------
    def __getitem__(self, name: str) -> T:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return self._lookup(name) is not _MISSING

    def __iter__(self) -> Iterator[str]:
        self.load()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self.load()
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"
