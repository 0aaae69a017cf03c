"""What a visitor may see of a table: personal data only for those allowed to see it.

Contacts, evaluator names and the names in the audit trail (who saved, froze, changed) are
personal data. Every table a page shows goes through ``for_viewer`` first, so a reader finds
them nowhere: not in the grid, not in its column menu, not in a copy of it. Exports have their
own, stricter gate (``Bundle.for_export``).
"""

from __future__ import annotations

import pandas as pd

from observatory.auth import User, can
from observatory.bundle import PERSONAL_COLUMNS

# The export's personal columns, plus the actor columns of the histories and catalogues.
ACTOR_COLUMNS = ("actor", "created_by", "changed_by", "set_by", "author")
VIEWER_PERSONAL_COLUMNS = frozenset(
    {column for columns in PERSONAL_COLUMNS.values() for column in columns} | set(ACTOR_COLUMNS))


def may_see_personal_data(user: User) -> bool:
    return can(user.role, "see_contacts")


def for_viewer(frame: pd.DataFrame, user: User) -> pd.DataFrame:
    """``frame`` without its personal columns unless ``user`` may see contacts.

    Call it on the frame as read (before renaming its columns for display); select the
    displayed columns with ``shown_columns`` so a dropped one is simply not asked for.
    """
    if may_see_personal_data(user):
        return frame
    return frame.drop(columns=[c for c in frame.columns if c in VIEWER_PERSONAL_COLUMNS])


def shown_columns(frame: pd.DataFrame, wanted) -> list:
    """``wanted`` in order, without the columns ``frame`` does not have (dropped by
    ``for_viewer``)."""
    return [c for c in wanted if c in frame.columns]
