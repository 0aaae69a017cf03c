"""The app's pages, listed once: app.py builds its navigation from PAGES, the tests iterate it.

A page is a file in ``pages/`` with a French title and a Material icon; exactly one is the
default (the page ``/`` opens). Adding a page: its file in ``pages/``, one line here, and a
content AppTest (``tests/app/test_page_content.py``); ``tests/app/test_pages.py`` checks that
this list and the folder agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of the navigation: its script (relative to the project), title and icon."""

    path: str
    title: str
    icon: str
    default: bool = False


PAGES: tuple[Page, ...] = (
    Page("pages/carte.py", "Carte", ":material/map:", default=True),
    Page("pages/lieux.py", "Lieux", ":material/home_work:"),
    Page("pages/tableau_de_bord.py", "Tableau de bord", ":material/monitoring:"),
    Page("pages/partenaires.py", "Partenaires", ":material/handshake:"),
    Page("pages/consortiums.py", "Consortiums", ":material/groups:"),
    Page("pages/equipements.py", "Équipements", ":material/construction:"),
    Page("pages/appels.py", "Appels à projets", ":material/campaign:"),
    Page("pages/couverture.py", "Couverture", ":material/radar:"),
    Page("pages/evolutions.py", "Évolutions", ":material/timeline:"),
    Page("pages/donnees.py", "Données", ":material/database:"),
    Page("pages/importer.py", "Importer", ":material/upload_file:"),
    Page("pages/doublons.py", "Doublons probables", ":material/join_inner:"),
    Page("pages/maturite.py", "Critères et maturité", ":material/star:"),
)
PATHS: tuple[str, ...] = tuple(page.path for page in PAGES)


def by_title(title: str) -> Page:
    """The page titled ``title`` in the navigation (KeyError if there is none)."""
    for page in PAGES:
        if page.title == title:
            return page
    raise KeyError(title)
