"""The look of the PDF report: its font, colours and page geometry, and ``Report``, the A4
document with its building blocks (headings, paragraphs, notices, key-figure tiles, tables).

Font: DejaVu Sans, taken from matplotlib's own copy (``mpl-data/fonts/ttf``, always present
since matplotlib draws the charts), else from Debian's ``fonts-dejavu-core``
(``/usr/share/fonts/truetype/dejavu``); if neither is found the build stops with a French
message rather than printing wrong accents with a core PDF font.

Every user text (names, communes…) is written as plain text: no markdown, no HTML, and no
page-count alias (``{nb}`` is substituted only in the footer's own page number).

``pdf_pages`` (the pages, in order) and ``pdf`` (``build_report``) both import this module;
neither imports the other's caller.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from fpdf import FPDF, FontFace

from observatory.bundle import Bundle
from observatory.errors import ObservatoryError
from observatory.exports import common
from observatory.formatting import long_date

FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
              "BI": "DejaVuSans-BoldOblique.ttf"}
FONT_DIRS = (Path(matplotlib.get_data_path()) / "fonts" / "ttf",
             Path("/usr/share/fonts/truetype/dejavu"))
BLUE = (31, 59, 115)
GREY = (110, 110, 110)
LIGHT = (242, 244, 248)
PAGE_COUNT = "{nb}"  # fpdf2's alias for the total number of pages (see Report.header)
RED = (156, 0, 6)
PINK = (255, 235, 235)
MARGIN = 15.0
WIDTH = 210.0 - 2 * MARGIN  # usable width, mm
MAX_CELL = 300  # characters shown in a table cell: a 10,000-character name cannot break a page
CELL_PADDING_X = 1.2  # mm, left and right of the text in a table cell
TITLE = "Observatoire des lieux de lien social"


class ReportError(ObservatoryError, RuntimeError):
    """A report that cannot be built, explained in French."""


def font_dir() -> Path:
    for folder in FONT_DIRS:
        if all((folder / name).is_file() for name in FONT_FILES.values()):
            return folder
    raise ReportError(
        "Police DejaVu Sans introuvable (ni dans matplotlib ni dans "
        "/usr/share/fonts/truetype/dejavu) : installez le paquet Debian fonts-dejavu-core.")


class Report(FPDF):
    """A4 portrait, a running head after the cover, "Page n / N" in every footer."""

    def __init__(self, bundle: Bundle):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.bundle = bundle
        folder = font_dir()
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(folder / name))
        self.set_margins(MARGIN, 18, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_font(FONT, size=10)
        self.set_lang("fr-FR")
        self.set_title(f"{TITLE} — {bundle.territory_name} — {bundle.label}")
        self.set_author(common.clean_text(bundle.created_by))
        self.set_creator(TITLE)

    def header(self) -> None:
        # fpdf2 replaces its page-count alias in *any* text written while the alias is set
        # (a place named "Lieu {nb}" printed as "Lieu 8"): set only while the footer writes
        # the page number, unset here before the page's own text.
        self.alias_nb_pages(None)
        if self.page_no() == 1:
            return
        self.set_font(FONT, size=7.5)
        self.set_text_color(*GREY)
        filtered = common.filters_line(self.bundle)
        self.set_xy(MARGIN, 4.5 if filtered else 8)
        self.cell(WIDTH, 5, common.clean_text(
            f"{TITLE} — {self.bundle.territory_name} — {self.bundle.label}"))
        if filtered:  # every page of a filtered report says so, under the running head
            self.set_font(FONT, "B", 7.5)
            self.set_text_color(*BLUE)
            self.set_xy(MARGIN, 8.5)
            self.cell(WIDTH, 5, self.fit(common.clean_text(filtered), WIDTH))
        self.line(MARGIN, 13.5, MARGIN + WIDTH, 13.5)
        self.set_text_color(0)
        self.set_y(18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7.5)
        if self.bundle.is_demo:
            self.set_text_color(*RED)
            self.cell(WIDTH / 2, 5, "Données de démonstration (fictives)")
        else:
            self.cell(WIDTH / 2, 5, long_date(self.bundle.created_at))
        self.set_text_color(*GREY)
        self.alias_nb_pages(PAGE_COUNT)  # stays set after the last footer: output() needs it
        self.cell(WIDTH / 2, 5, f"Page {self.page_no()} / {PAGE_COUNT}", align="R")
        self.set_text_color(0)

    def fit(self, text: str, width: float) -> str:
        """``text`` cut with « … » to fit ``width`` mm in the current font (one line)."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    # Building blocks --------------------------------------------------------------------

    def h1(self, text: str) -> None:
        self.set_font(FONT, "B", 15)
        self.set_text_color(*BLUE)
        self.multi_cell(WIDTH, 7.5, common.clean_text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.ln(2)

    def h2(self, text: str) -> None:
        if self.will_page_break(25):  # keep a heading with what follows it
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 11.5)
        self.set_text_color(*BLUE)
        self.multi_cell(WIDTH, 6, common.clean_text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.ln(1)

    def para(self, text: str, size: float = 9.5, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(WIDTH, size * 0.5, common.clean_text(text), align="L",
                        new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def notice(self, title: str, text: str) -> None:
        """A framed blue notice, its ``title`` in bold (a filtered view: which filters, on
        which perimeter). The texts are printed as they are (no markup is read in them)."""
        if self.will_page_break(30):
            self.add_page()
        top = self.get_y()
        self.set_fill_color(*LIGHT)
        self.set_text_color(*BLUE)
        self.set_font(FONT, "B", 9.5)
        self.multi_cell(WIDTH, 5, common.clean_text(title), fill=True, padding=(2.5, 2.5, 1),
                        align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 8.5)
        self.multi_cell(WIDTH, 4.3, common.clean_text(text), fill=True, padding=(0, 2.5, 2.5),
                        align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*BLUE)
        self.rect(MARGIN, top, WIDTH, self.get_y() - top)
        self.set_text_color(0)
        self.set_draw_color(0)
        self.ln(3)

    def warning(self, text: str) -> None:
        """A framed red notice (demonstration data, personal data)."""
        self.set_font(FONT, "B", 9.5)
        self.set_fill_color(*PINK)
        self.set_draw_color(*RED)
        self.set_text_color(*RED)
        self.multi_cell(WIDTH, 5, common.clean_text(text), border=1, fill=True, padding=2.5,
                        align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.set_draw_color(0)
        self.ln(3)

    def tiles(self, figures: Sequence[tuple[str, str]], per_row: int = 4) -> None:
        """Key figures as boxes: a big value and its label."""
        gap, height = 3.0, 21.0
        width = (WIDTH - gap * (per_row - 1)) / per_row
        for start in range(0, len(figures), per_row):
            if self.will_page_break(height + gap):
                self.add_page()
            y = self.get_y()
            for index, (value, label) in enumerate(figures[start:start + per_row]):
                x = MARGIN + index * (width + gap)
                self.set_fill_color(*LIGHT)
                self.rect(x, y, width, height, style="F")
                self.set_xy(x, y + 2)
                self.set_font(FONT, "B", 15)
                self.set_text_color(*BLUE)
                self.cell(width, 8, common.clean_text(value), align="C")
                self.set_xy(x + 1, y + 10.5)
                self.set_font(FONT, size=7.5)
                self.set_text_color(60)
                self.multi_cell(width - 2, 3.5, common.clean_text(label), align="C")
            self.set_text_color(0)
            self.set_xy(MARGIN, y + height + gap)
        self.ln(2)

    def data_table(self, headers: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float], align: Sequence[str] | None = None,
              size: float = 8.0, bold_last: bool = False) -> None:
        """A table that breaks across pages and repeats its header row on each page;
        ``bold_last`` sets the last row (a total) in bold."""
        self.set_font(FONT, size=size)
        self.set_fill_color(255)  # rows not filled by the table stay white
        scale = WIDTH / sum(widths) if sum(widths) > WIDTH else 1.0
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BLUE)
        with self.table(col_widths=[w * scale for w in widths], width=sum(widths) * scale,
                        align="LEFT", text_align=tuple(align or ["LEFT"] * len(headers)),
                        line_height=size * 0.45, headings_style=heading,
                        borders_layout="HORIZONTAL_LINES", cell_fill_color=LIGHT,
                        cell_fill_mode="ROWS", padding=(0.9, CELL_PADDING_X),
                        repeat_headings=1) as grid:
            grid.row([common.clean_text(h) for h in headers])
            rooms = [w * scale - 2 * CELL_PADDING_X - 0.5 for w in widths]
            for index, values in enumerate(rows, start=1):
                bold = bold_last and index == len(rows)
                self.set_font(FONT, style="B" if bold else "", size=size)
                grid.row([break_at_hyphens(_cell(v), room, self.get_string_width)
                          for v, room in zip(values, rooms, strict=True)],
                         style=FontFace(emphasis="BOLD") if bold else None)
            self.set_font(FONT, size=size)
        self.ln(3)

    def image_png(self, png: bytes, width: float = WIDTH) -> None:
        self.image(io.BytesIO(png), x=MARGIN + (WIDTH - width) / 2, w=width)
        self.ln(2)


def _cell(value: object) -> str:
    text = common.clean_text(value)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def break_at_hyphens(text: str, room: float, width_of) -> str:
    """Wrap the words of ``text`` too wide for ``room`` (mm) after one of their hyphens, as
    French does (« Saint-Pierre-de-⏎Rivière »), where fpdf2 would cut a letter off
    (« Saint-Pierre-de-Rivièr⏎e »). ``width_of`` measures a string in the current font."""
    words = []
    for word in text.split(" "):
        lines = []
        while width_of(word) > room and "-" in word[:-1]:
            cuts = [i + 1 for i, c in enumerate(word[:-1]) if c == "-"]
            fitting = [i for i in cuts if width_of(word[:i]) <= room]
            cut = fitting[-1] if fitting else cuts[0]
            lines.append(word[:cut])
            word = word[cut:]
        words.append("\n".join([*lines, word]))
    return " ".join(words)
