"""A throwaway PostgreSQL from Debian's packages, for the tests, benchmarks and recipes.

``initdb`` and ``pg_ctl`` run in a temporary folder; the server listens on 127.0.0.1 on a
free port (and on a unix socket in that folder) and is stopped by ``stop()``. initdb refuses
to run as root: as root, the cluster is created and run as the ``postgres`` user (Debian's
package creates it) or ``nobody``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "mot-de-passe-jetable"  # a throwaway cluster on 127.0.0.1: not a secret


class PostgresUnavailable(RuntimeError):
    """Debian's PostgreSQL is not installed, or its server could not start."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise PostgresUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    folder: Path
    port: int
    user: str = "observatoire"
    database: str = "observatoire"
    password: str = PASSWORD

    @property
    def url(self) -> str:
        return (f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/"
                f"{self.database}")

    def url_of(self, database: str) -> str:
        return (f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}")

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a file-level copy of ``template`` when given: fast); its URL."""
        cmd = [str(_bin_dir() / "createdb"), "-h", str(self.folder), "-p", str(self.port),
               "-U", self.user, *(["-T", template] if template else []), name]
        done = _run_as_owner(cmd, self.folder)
        if done.returncode != 0:
            raise PostgresUnavailable(f"createdb {name} failed: {done.stderr}")
        return self.url_of(name)

    def stop(self) -> None:
        _run_as_owner([str(_bin_dir() / "pg_ctl"), "-D", str(self.folder / "data"), "-m",
                       "immediate", "-w", "stop"], self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)


def _owner() -> str | None:
    """The user that runs the cluster when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root without a 'postgres' or 'nobody' user")


def _run_as_owner(cmd: list[str], folder: Path) -> subprocess.CompletedProcess:
    owner = _owner()
    if owner is not None:
        cmd = ["runuser", "-u", owner, "--", *cmd]
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=120)


def start(base: Path | None = None) -> PostgresServer:
    """Create and start a cluster; raise PostgresUnavailable with the server's words."""
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="observatoire-pg-", dir=base))
    owner = _owner()
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    os.chmod(folder, 0o700)
    server = PostgresServer(folder=folder, port=_free_port())
    pwfile = folder / "pw"
    pwfile.write_text(server.password + "\n", encoding="utf-8")
    if owner is not None:
        os.chown(pwfile, pwd.getpwnam(owner).pw_uid, pwd.getpwnam(owner).pw_gid)
    steps = [
        [str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", server.user,
         "--pwfile", str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256",
         "-E", "UTF8", "--locale", "C.UTF-8",
         "--no-sync"],
        [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w",
         "-t", "60", "-o",
         f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} -c fsync=off "
         "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
         "start"],
    ]
    for cmd in steps:
        done = _run_as_owner(cmd, folder)
        if done.returncode != 0:
            log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
            shutil.rmtree(folder, ignore_errors=True)
            raise PostgresUnavailable(f"{cmd[0]} failed: {done.stdout}{done.stderr}{log}")
    pwfile.unlink()
    createdb = _run_as_owner([str(bin_dir / "createdb"), "-h", str(folder), "-p",
                              str(server.port), "-U", server.user, server.database], folder)
    if createdb.returncode != 0:
        server.stop()
        raise PostgresUnavailable(f"createdb failed: {createdb.stderr}")
    return server


if __name__ == "__main__":  # a server for trying things by hand: prints its URL, Ctrl-C stops
    import time
    s = start()
    print(s.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
