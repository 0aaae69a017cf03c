"""A real app on 127.0.0.1 and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    """Headless chromium; missing browser is a failure on CI, a skip elsewhere."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        message = "chromium (paquet Debian) ou playwright absent"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " : obligatoire en CI")
        pytest.skip(message)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(db_path: Path, tmp_dir: Path, *, script: str = "app.py",
              env: dict[str, str] | None = None,
              log_name: str = "streamlit.log") -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app.py` (or ``script``: ``asgi.py`` is what `observatory serve`
    runs) on a free port and wait until it answers. ``env`` adds variables."""
    port = _free_port()
    env = dict(os.environ, OBSERVATORY_DB=str(db_path), OBSERVATORY_TILES="off", **(env or {}))
    log = open(tmp_dir / log_name, "a")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / script), "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("L'application n'a pas démarré : voir " + str(tmp_dir / log_name))


def serve_demo(tmp_path_factory, name: str):
    """A module fixture's body: a fresh demo database served by the app; yields its URL."""
    from observatory import bootstrap, config
    from observatory.territory.config import load_territory_config

    tmp = tmp_path_factory.mktemp(name)
    path = tmp / "demo.duckdb"
    bootstrap.init_database(path, load_territory_config(config.territory_path()), with_demo=True)
    process, url = start_app(path, tmp)
    yield url
    process.terminate()
    process.wait(timeout=20)
