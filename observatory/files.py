"""Files written where the user says (exports, backups, the restored database): safely, privately.

One rule for every such file:

* an existing file is refused unless the caller asked to replace it (``--force``);
* a symbolic link is refused even with ``--force``, and so is anything that is not a plain
  file (a folder, ``/dev/null``, a pipe): nothing is ever written *through* a link, which
  could point at any file the account may write;
* the content goes to a new temporary file in the same folder, created with mode ``0600``
  (the observatory's files hold personal data, like the accounts file), flushed to disk,
  then renamed over the target. The rename is atomic on one file system: a failure (full
  disk…) leaves no half-written file and never destroys the previous one. Without
  ``--force`` the file is published with a hard link, which fails if the name appeared in
  the meantime: a file created by someone else at the last moment is not replaced either.

``private_umask`` covers the files other programs create for us (DuckDB's ``.wal``), whose
mode only the process's umask decides.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from observatory.errors import UserInputError

#: Read and write for the owner only, like the accounts file (``observatory/auth.py``).
FILE_MODE = 0o600
#: A umask under which every new file is private (0600) and every new folder 0700.
PRIVATE_UMASK = 0o077

# A file system that has no hard links (FAT, some network or FUSE mounts) answers one of
# these to os.link: the name is then checked again and replaced.
_NO_HARD_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOSYS,
                  getattr(errno, "ENOTSUP", errno.EOPNOTSUPP), errno.EOPNOTSUPP}


class OutputFileError(UserInputError):
    """The named output file cannot be written as asked (it exists, it is a link…)."""


def check_target(path: str | os.PathLike, force: bool = False) -> Path:
    """Refuse a link, a folder, anything but a plain file, and an existing file without force."""
    path = Path(path)
    try:
        info = path.lstat()  # the name itself: a link is not followed
    except FileNotFoundError:
        return path
    except NotADirectoryError:
        return path  # a parent is a file: creating the folder reports it in French
    if stat.S_ISLNK(info.st_mode):
        raise OutputFileError(
            f"{path} est un lien symbolique : il n'est jamais suivi, même avec --force. "
            "Indiquez le chemin du fichier lui-même, ou supprimez le lien.")
    if stat.S_ISDIR(info.st_mode):
        raise OutputFileError(f"{path} est un dossier : indiquez le fichier à écrire "
                              f"(par exemple {path / 'fichier'}).")
    if not stat.S_ISREG(info.st_mode):
        raise OutputFileError(f"{path} n'est pas un fichier ordinaire (périphérique, tube…) : "
                              "choisissez un autre chemin.")
    if not force:
        raise OutputFileError(f"{path} existe déjà (ajoutez --force pour le remplacer).")
    return path


@contextmanager
def staged(path: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """A private temporary file to fill; it becomes ``path`` when the block succeeds.

    Raises OutputFileError (a French message) for a target that must not be written and
    OSError when the folder or the file cannot be made; on any failure the temporary file
    is removed and ``path`` is left as it was.
    """
    path = check_target(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp: a new name (O_EXCL), mode 0600 whatever the umask.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, FILE_MODE)  # in case the block re-created it
        _fsync(temporary)
        _publish(temporary, path, force)
        _fsync_folder(path.parent)
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass  # never hides the error being reported


def write_bytes(path: str | os.PathLike, data: bytes, force: bool = False) -> Path:
    """Write ``data`` to ``path`` by the rules above; returns the path written."""
    with staged(path, force) as temporary:
        temporary.write_bytes(data)
    return Path(path)


@contextmanager
def private_umask() -> Iterator[None]:
    """Run a block with umask 077 (new files 0600), then restore the previous umask.

    For the command line only: the umask belongs to the whole process (every thread).
    """
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def _publish(temporary: Path, path: Path, force: bool) -> None:
    if not force:
        try:
            os.link(temporary, path)  # fails if the name exists, even as a dangling link
            return
        except FileExistsError:
            check_target(path, force)  # says why in French (exists, link, folder…)
            raise
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
    check_target(path, force)  # again, just before: the name may have changed meanwhile
    os.replace(temporary, path)  # replaces a name, never writes through a link


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
