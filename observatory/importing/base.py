"""What the readers and the column mapping share: the file error and the reserved column.

Both ``readers`` (which fills the column and raises the error) and ``mapping`` (which
carries the column through and raises the error for a bad mapping) import this module;
``readers`` imports ``mapping`` (to recognise a header row), never the other way round.
"""

from __future__ import annotations

from observatory.errors import UserInputError

# A reserved column: what went wrong reading a row (a polygon where a point was expected,
# cells beyond the last header). Validation turns it into an error on that row.
READ_PROBLEM = "_probleme_lecture"


class ImportFileError(UserInputError):
    """The file cannot be read at all; the message is French, for the UI and the CLI."""
