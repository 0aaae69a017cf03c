"""Errors meant for people: a French message, shown without a traceback.

Anything deriving from ``ObservatoryError`` is a problem the user can act on (a missing
file, a locked or damaged database, a full disk…); the CLI prints it as « Erreur : … » and
exits 1, the app shows it in a banner. Any other exception is a bug and keeps its
traceback. Nothing here imports the rest of the package.
"""

from __future__ import annotations

import errno
import os


class ObservatoryError(Exception):
    """A problem explained in French for the user; not a bug."""


class UserInputError(ObservatoryError, ValueError):
    """A value given by the user is refused (still a ValueError for older callers)."""


class ConflictError(UserInputError):
    """Someone else saved the record since it was read: reload, then redo the change."""


class StoreError(ObservatoryError, RuntimeError):
    """A database problem explained in French for the UI and the CLI."""


class StoreLockedError(StoreError):
    """Another process holds the database file: waiting a little may help (the only case
    retried)."""


# Exit codes of the ``observatory`` CLI (documented in the README).
EXIT_OK = 0
EXIT_FAILED = 1  # could not read a file, store error, refused action
EXIT_INVALID = 2  # validation refused the input (an import with errors, bad arguments)
EXIT_SOFTWARE = 70  # internal error: a bug (sysexits.h EX_SOFTWARE), printed with its traceback


# errno → what it means for the person at the keyboard.
_OS_REASONS = {
    errno.ENOSPC: "le disque est plein",
    errno.EDQUOT: "le quota d'espace disque est atteint",
    errno.EROFS: "le système de fichiers est en lecture seule",
    errno.EACCES: "accès refusé : le fichier ou le dossier n'est pas accessible en écriture "
                  "(droits insuffisants)",
    errno.EPERM: "opération non permise : le fichier ou le dossier est protégé en écriture",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "le chemin désigne un dossier, pas un fichier",
    errno.EIO: "erreur d'entrée-sortie du disque (support défectueux ?)",
    errno.ENAMETOOLONG: "nom de fichier trop long",
}

NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)
FULL = (errno.ENOSPC, errno.EDQUOT)


def os_reason(code: int | None) -> str | None:
    """The French reason for an errno we know, else None."""
    return _OS_REASONS.get(code)


def errno_in_text(text: str) -> int | None:
    """The errno whose C-library wording (``os.strerror``) appears in ``text``.

    DuckDB reports file-system failures as text built with ``strerror``; the same C library
    (and locale) gives ``os.strerror``, so matching its wording is exact, not a guess.
    """
    for code in _OS_REASONS:
        if os.strerror(code) in text:
            return code
    return None


def describe_os_error(exc: OSError) -> str:
    """One French line for a file-system failure: what happened, and on which path."""
    reason = os_reason(exc.errno) or f"erreur système ({exc.strerror or exc.__class__.__name__})"
    paths = [p for p in (exc.filename, exc.filename2) if p]
    where = " → ".join(str(p) for p in paths)
    hint = ""
    if exc.errno in FULL:
        hint = " Libérez de la place puis relancez."
    elif exc.errno in NOT_WRITABLE:
        hint = " Choisissez un autre emplacement ou corrigez les droits."
    return f"{reason[0].upper()}{reason[1:]}" + (f" ({where})" if where else "") + "." + hint


def is_user_error(exc: BaseException) -> bool:
    """True for an error written for the user (French message), False for a bug."""
    return isinstance(exc, ObservatoryError)
