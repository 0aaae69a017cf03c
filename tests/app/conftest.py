"""AppTest fixtures: each test drives the real app.py on its own copy of a database.

The app caches its DuckDB connection (st.cache_resource, keyed by path) and its query results
(st.cache_data). Every test therefore gets a fresh copy of the file (DuckDB allows one
read-write connection per file and per process, and AppTest runs in this process) and starts
and ends with empty caches.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from observatory import bootstrap

APP_FILE = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT_S = 60


class _NavigationPagesManager(PagesManager):
    """A PagesManager in the state a running server reaches once app.py has called st.navigation.

    Streamlit treats a ``pages/`` folder next to the main script as a v1 multipage app until
    ``st.navigation`` has run once in the process; AppTest resets that flag before every run,
    so from the second run on it would execute ``pages/<page>.py`` alone, without app.py (no
    sidebar, no banner, a stale context). On a real server this happens only until the first
    session has loaded app.py; ``test_pages.py::test_a_link_to_a_page_opens_it_on_a_fresh_server``
    covers that case without this class.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory, territory_config) -> Path:
    """A database with the territory and no place at all."""
    path = tmp_path_factory.mktemp("empty") / "observatory.duckdb"
    bootstrap.init_database(path, territory_config, with_demo=False)
    return path


@pytest.fixture
def app_db(demo_db, tmp_path) -> Path:
    """This test's own copy of the 42-place demonstration database."""
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def empty_app_db(empty_db, tmp_path) -> Path:
    path = tmp_path / "empty.duckdb"
    shutil.copy(empty_db, path)
    return path


@pytest.fixture
def make_app(monkeypatch) -> Iterator[Callable[..., AppTest]]:
    """Factory: an AppTest of app.py reading ``db_path``, tiles off, caches empty.

    ``query`` sets the URL parameters of the first run (as a shared link would); ``page``
    switches to a page file (``"pages/lieux.py"``) before it. Call ``.run()`` yourself.
    """
    monkeypatch.setenv("OBSERVATORY_TILES", "off")
    _clear_caches()

    def make(db_path: Path, *, query: dict[str, str | list[str]] | None = None,
             page: str | None = None, steady_navigation: bool = True) -> AppTest:
        monkeypatch.setenv("OBSERVATORY_DB", str(db_path))
        if steady_navigation:
            monkeypatch.setattr(app_test_module, "PagesManager", _NavigationPagesManager)
        else:
            monkeypatch.setattr(app_test_module, "PagesManager", PagesManager)
        at = AppTest.from_file(str(APP_FILE), default_timeout=TIMEOUT_S)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        if page:
            at.switch_page(page)
        return at

    yield make
    _clear_caches()


@pytest.fixture
def protected(tmp_path, monkeypatch) -> Path:
    """Protected mode: an accounts file with the analyst « alice »; visitors are readers."""
    from observatory import auth

    users = tmp_path / "users.toml"
    auth.save_user(users, "alice", auth.ANALYST, "Une-phrase-de-passe-solide-42")
    monkeypatch.setenv(auth.USERS_ENV, str(users))
    monkeypatch.setenv("OBSERVATORY_SECRET", "une-clé-de-test-tirée-au-hasard-Zq8vR2kLw9")
    return users
