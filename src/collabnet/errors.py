"""Errors that speak the user's language.

Every error that reaches the command line names the file (and the line or
record where it applies), says what was wrong and what to do about it.  The
CLI turns an :class:`InputError` into a one-line message and exit code 2.
"""
from __future__ import annotations


class CollabnetError(Exception):
    """Base class of the errors collabnet raises on purpose."""


class InputError(CollabnetError):
    """A file cannot be read: unknown format, wrong encoding, missing columns...

    ``path`` names the file, ``where`` the line or record ("line 12",
    "record 40"), ``hint`` what the user can do.
    """

    def __init__(self, path, message: str, where: str | None = None, hint: str | None = None):
        self.path = str(path) if path is not None else None
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __reduce__(self):  # pickled whole, so it comes back from a worker process as itself
        return (self.__class__, (self.path, self.message, self.where, self.hint), self.__dict__)

    def __str__(self) -> str:
        loc = self.path or "input"
        if self.where:
            loc += f" ({self.where})"
        text = f"{loc}: {self.message}"
        if self.hint:
            text += f". {self.hint}"
        return text


class UnsupportedFormat(InputError):
    """The file is of a format collabnet does not read (yet)."""
