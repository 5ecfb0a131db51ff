"""Exceptions of the toolkit.

A :class:`UserInputError` is a mistake of the user (a missing file, a bad option, an unreadable
checkpoint). The CLI prints its message as one line and exits with status 2, without a traceback.
It subclasses :class:`ValueError` so library callers can catch it as such.
"""


class GazeFusionError(Exception):
    """Base class of the toolkit's own errors."""


class UserInputError(GazeFusionError, ValueError):
    """Bad input from the user: the message names the argument, what was expected and what was found."""


class UnknownNameError(UserInputError, KeyError):
    """A name that a registry does not know (a :class:`UserInputError`, and a :class:`KeyError` so
    that mapping look-ups keep their usual contract). The message names the kind, the name given
    and the known names: ``unknown metric 'auc'; known: auc_borji, auc_judd, ...``."""

    __str__ = BaseException.__str__  # one plain line, not KeyError's quoted repr
