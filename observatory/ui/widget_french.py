"""French for the texts Streamlit writes itself and offers no parameter for.

The file uploader's drop zone says « Upload » and « 10MB per file • CSV, … » whatever the
app's language (Streamlit 1.67 has no locale and no parameter for them). One style sheet, drawn
once per run by app.py, hides those texts and writes French ones in their place with CSS
``::after`` content: the widget, its file dialog and its drag and drop keep working. The
label and the help of each uploader already name the accepted formats in French.

If a Streamlit upgrade renames the test ids below, the English comes back: the browser test
``tests/browser/test_widget_french_browser.py`` reads the texts the browser really shows.
"""

from __future__ import annotations

import streamlit as st

from observatory.importing.readers import MAX_UPLOAD_MB

UPLOAD_BUTTON = "Parcourir"
UPLOAD_LIMIT = (f"Glissez un fichier ici ou cliquez sur « {UPLOAD_BUTTON} » "
                f"({MAX_UPLOAD_MB} Mo au plus)")


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (our own constants, quoted and escaped all the same)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stylesheet() -> str:
    """The style sheet that puts the French texts in place of Streamlit's English ones."""
    zone = '[data-testid="stFileUploaderDropzone"]'
    button = f'{zone} [data-testid^="stBaseButton"] [data-testid="stMarkdownContainer"] p'
    limit = f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span'
    return (
        "<style>"
        f"{button}, {limit} {{ font-size: 0; }}"
        f"{button}::after {{ content: {_css_string(UPLOAD_BUTTON)}; font-size: 0.875rem; }}"
        f"{limit}::after {{ content: {_css_string(UPLOAD_LIMIT)}; font-size: 0.875rem; }}"
        "</style>"
    )


def apply() -> None:
    """Draw the style sheet (a style-only ``st.html`` takes no room on the page)."""
    st.html(stylesheet())
