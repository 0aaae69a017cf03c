"""Read an uploaded file (CSV, Excel .xlsx, GeoJSON) into a table of strings.

Every reader returns a DataFrame whose cells are all ``str`` ("" when empty) and whose index
is the row number the user sees: in a CSV or a sheet the first row is 1, so under a header on
row 1 the first data row is 2 (a title row above the header keeps the numbering); in a
GeoJSON it is the feature's number (1 for the first). Nothing is interpreted here: numbers,
dates and codes stay text until validation. What the reader chose on its own (an encoding,
a header below a title) is said in ``read_warnings(table)``, in French.

Bounded by construction, whatever the file: the upload is at most ``DEFAULT_MAX_BYTES``; a
workbook's parts are refused by their declared uncompressed size before anything is
decompressed, then streamed (expat) and never past that size; every reader stops at the
row limit, keeps at most ``MAX_COLUMNS`` cells a row and ``MAX_CELLS`` filled cells in all.
The declared sheet size (``<dimension>``) is never used.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import PurePath
from xml.parsers import expat

import pandas as pd

from observatory.formatting import decimal, integer, number
from observatory.importing.base import READ_PROBLEM, ImportFileError  # noqa: F401 (re-exported)
from observatory.importing.mapping import known_header
from observatory.importing.parsing import clean

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_MB = DEFAULT_MAX_BYTES // (1024 * 1024)  # .streamlit/config.toml maxUploadSize
DEFAULT_MAX_ROWS = 50_000
MAX_COLUMNS = 300
# Filled cells kept in all (50,000 rows of 20 filled columns): bounds the memory of a table.
MAX_CELLS = 1_000_000
# Cells of the table built, empty ones included (rows x columns): bounds its memory too.
MAX_SLOTS = 4_000_000
# Decompressed size of the workbook parts read (sheet, shared strings, styles): what bounds
# the time of an Excel read (expat streams about 20 MB of sheet XML a second).
MAX_XML_BYTES = 64 * 1024 * 1024
# XML tags parsed in a workbook, a self-closing one counting twice: each costs a Python
# call (about 1 µs on the loaded 2-core reference machine), so this bounds the time of a
# read. A filled cell is 4 to 6 (50,000 rows of 14 columns fit), an empty row is 2.
MAX_XML_TAGS = 3_000_000
# Longest CSV cell (Excel's own limit): longer is a quote never closed. The csv module's
# field_size_limit is process-wide (frictionless raises it), so it is not relied upon.
MAX_CELL_CHARS = 32_767
TITLE_ROWS = 10  # rows above the header searched for it (a title, a date, a blank line)
SIZE_LIMIT_TEXT = (f"Taille maximale : {MAX_UPLOAD_MB} Mo, "
                   + integer(DEFAULT_MAX_ROWS)
                   + f" lignes et {MAX_COLUMNS} colonnes.")
WARNINGS = "read_warnings"  # DataFrame.attrs key of the reader's French warnings

CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm"}
GEOJSON_EXTENSIONS = {".geojson", ".json"}
SUPPORTED = "CSV (.csv), Excel (.xlsx) ou GeoJSON (.geojson)"

_SIGNATURES = (  # leading bytes -> what the file really is, for the French message
    (b"\x89PNG", "une image PNG"), (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"), (b"%PDF", "un document PDF"),
    (b"PK\x03\x04", "une archive ZIP (classeur Excel, OpenDocument ou Word)"),
    (b"\xd0\xcf\x11\xe0", "un ancien classeur Excel (.xls), un document Office ou un "
                          "classeur protégé par mot de passe"),
    (b"\x1f\x8b", "une archive compressée (gzip)"), (b"SQLite format", "une base SQLite"),
)

# (number, cells, filled cells beyond MAX_COLUMNS, problem): one row as a reader yields it.
Row = tuple[int, list[str], int, str]


def read_table(data: bytes, filename: str, *, sheet: str | int | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = DEFAULT_MAX_ROWS,
               ) -> pd.DataFrame:
    """The file's rows as strings, indexed by the row number the user sees.

    ``sheet`` picks an Excel sheet by name or position among the sheets of cells (default:
    the first one). Raises ``ImportFileError`` for an empty, oversized, unreadable or
    mislabelled file; ``read_warnings(table)`` lists what the reader decided on its own.
    """
    name = PurePath(filename or "fichier").name
    extension = PurePath(name).suffix.lower()
    _check_size(data, max_bytes)
    warnings: list[str] = []
    if extension in CSV_EXTENSIONS:
        header, rows = _with_header(_gather(_read_csv(data, name, warnings), max_rows),
                                    warnings)
    elif extension in EXCEL_EXTENSIONS:
        header, rows = _with_header(_gather(_read_xlsx(data, name, sheet, warnings),
                                            max_rows), warnings)
    elif extension in GEOJSON_EXTENSIONS:
        header, rows = _read_geojson(data, name, max_rows, warnings)
    else:
        raise ImportFileError(_unsupported(name, extension))
    frame = _finish(header, rows, max_rows)
    frame.attrs[WARNINGS] = warnings
    return frame


def read_warnings(table: pd.DataFrame) -> list[str]:
    """French sentences on what ``read_table`` chose by itself (encoding, header row...)."""
    return list(table.attrs.get(WARNINGS, []))


def sheet_names(data: bytes, filename: str) -> list[str]:
    """Names of an Excel file's sheets of cells (chart sheets left out), for the UI to
    offer a choice ([] for other formats)."""
    if PurePath(filename).suffix.lower() not in EXCEL_EXTENSIONS:
        return []
    name = PurePath(filename).name
    with _open_archive(data, name) as archive:
        return [title for title, kind, _ in _workbook(archive, name)[0]
                if kind == "worksheet"]


def _unsupported(name: str, extension: str) -> str:
    if extension == ".xls":
        return (f"« {name} » est au format Excel 97-2003 (.xls), non pris en charge : "
                "enregistrez-le au format Excel (.xlsx) ou CSV.")
    if extension in {".ods", ".odt"}:
        return (f"« {name} » est au format OpenDocument, non pris en charge : "
                "enregistrez-le au format Excel (.xlsx) ou CSV.")
    shown = extension or "sans extension"
    return f"Format de fichier non pris en charge ({shown}) : utilisez un fichier {SUPPORTED}."


def _megabytes(size: int) -> str:
    return decimal(size / 1024 / 1024, 1)


def _check_size(data: bytes, max_bytes: int) -> None:
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ImportFileError("Le fichier est vide.")
    if len(data) > max_bytes:
        limit = number(max_bytes / 1024 / 1024)
        raise ImportFileError(f"Le fichier pèse {_megabytes(len(data))} Mo : la limite est de "
                              f"{limit} Mo. Découpez-le ou gardez seulement les colonnes "
                              "utiles.")


def _really_is(data: bytes) -> str | None:
    for signature, label in _SIGNATURES:
        if data.startswith(signature):
            return label
    return None


# --- text encodings ----------------------------------------------------------------------

# Bytes that ISO-8859-15 (Latin-9) and Windows-1252 read differently, with each reading.
_LATIN9 = {0xA4: ("¤", "€"), 0xA6: ("¦", "Š"), 0xA8: ("¨", "š"), 0xB4: ("´", "Ž"),
           0xB8: ("¸", "ž"), 0xBC: ("¼", "Œ"), 0xBD: ("½", "œ"), 0xBE: ("¾", "Ÿ")}
_LATIN9_BYTES = re.compile(rb"[\xa4\xa6\xa8\xb4\xb8\xbc\xbd\xbe]")
_LETTER = re.compile(rb"[A-Za-z\xc0-\xd6\xd8-\xf6\xf8-\xff]")


def decode_text(data: bytes, name: str, warnings: list[str] | None = None) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one when its zero bytes
    say so), Windows-1252 (Excel's French "CSV (séparateur : point-virgule)") or
    ISO-8859-15 when its œ and € are what the bytes mean; ``warnings`` gets the choice
    whenever it was a guess."""
    warnings = [] if warnings is None else warnings
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data[3:], "utf-8", name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(data, "utf-16", name)
    if b"\x00" in data[:4096]:
        return _utf16_without_bom(data, name, warnings)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if re.search(rb"[\xc3\xc5][\x80-\xbf]", data):
        raise ImportFileError(f"« {name} » mélange deux encodages (UTF-8 et Windows-1252) : "
                              "rouvrez-le dans votre tableur et enregistrez-le en CSV UTF-8.")
    encoding, warning = _latin_encoding(data, name)
    if warning:
        warnings.append(warning)
    return _decode(data, encoding, name)


def _utf16_without_bom(data: bytes, name: str, warnings: list[str]) -> str:
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, encoding, label in ((odd, even, "utf-16-le", "petit-boutiste"),
                                          (even, odd, "utf-16-be", "gros-boutiste")):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) <= 0.02 * len(other):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"« {name} » semble être un texte Unicode (UTF-16) sans marque d'ordre "
                    f"des octets, mais il est illisible (octet {exc.start}). Enregistrez-le "
                    "en « CSV UTF-8 » depuis votre tableur.") from exc
            warnings.append(f"« {name} » est lu en UTF-16 ({label}) sans marque d'ordre des "
                            "octets : vérifiez les accents dans l'aperçu ; au moindre doute, "
                            "enregistrez-le en « CSV UTF-8 ».")
            return text
    raise ImportFileError(f"« {name} » n'est pas un fichier texte : il contient des octets "
                          "binaires (nuls). S'il s'agit d'un « texte Unicode », enregistrez-le "
                          "plutôt en « CSV UTF-8 » depuis votre tableur.")


def _latin_encoding(data: bytes, name: str) -> tuple[str, str]:
    """cp1252 or iso-8859-15, and the warning saying which one was chosen when both fit.

    Bytes 0x80-0x9F are letters only in Windows-1252 (€ ’ œ …): they settle it. Otherwise
    the bytes the two read differently are weighed: a « ¤ » is never meant, a « ½ » or
    « ¼ » glued to a letter is an « œ » or « Œ » (« c½ur »), next to a digit it is a fraction.
    """
    if re.search(rb"[\x80-\x9f]", data):
        return "cp1252", ""
    latin9 = windows = 0
    found: dict[int, None] = {}
    for match in _LATIN9_BYTES.finditer(data):
        byte, at = data[match.start()], match.start()
        found[byte] = None
        around = data[max(at - 1, 0):at] + data[at + 1:at + 2]
        glued = bool(_LETTER.search(around))
        if byte == 0xA4:
            latin9 += 1
        elif byte == 0xB4:  # « l´atelier »: the acute accent typed as an apostrophe
            windows += 1
        elif glued:
            latin9 += 1
        else:
            windows += 1
    if not found:
        return "cp1252", ""  # both read the same text
    pairs = ", ".join(f"« {_LATIN9[b][1]} » et non « {_LATIN9[b][0]} »" for b in found)
    if latin9 > windows:
        return "iso-8859-15", (
            f"« {name} » est lu en ISO-8859-15 (Latin-9) et non en Windows-1252 : "
            f"{pairs}. Vérifiez l'aperçu ; au moindre doute, enregistrez le fichier en "
            "« CSV UTF-8 ».")
    shown = ", ".join(f"« {_LATIN9[b][0]} »" for b in found)
    return "cp1252", (f"« {name} » est lu en Windows-1252 : vérifiez les caractères {shown} "
                      "dans l'aperçu (en ISO-8859-15 ce seraient d'autres lettres, comme "
                      "« œ » ou « € ») ; au moindre doute, enregistrez-le en « CSV UTF-8 ».")


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"« {name} » contient des octets illisibles (ligne {line}, octet "
            f"0x{data[exc.start]:02x}) : ni UTF-8 ni Windows-1252. Enregistrez le fichier "
            "en « CSV UTF-8 » depuis votre tableur.") from exc


# --- CSV ---------------------------------------------------------------------------------

_SNIFF_CHARS = 100_000


def sniff_delimiter(text: str) -> str:
    """The separator among ; , tab | that cuts the first rows into the most regular columns
    (a title row above the header does not count against it)."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    best, best_score = ",", (-1.0, 0)
    for delimiter in (";", ",", "\t", "|"):
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
        try:
            widths = [len(r) for r in itertools.islice(reader, 50)
                      if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not widths:
            continue
        width = max(set(widths), key=lambda w: (widths.count(w), -widths.index(w)))
        if width < 2:
            continue
        regular = widths.count(width) / len(widths)
        if (regular, width) > best_score:
            best, best_score = delimiter, (regular, width)
    if best_score[0] < 0:  # no candidate gave two columns: the most frequent one
        first = next((line for line in sample.splitlines() if line.strip()), "")
        best = max((";", ",", "\t", "|"), key=first.count)
    return best


def _read_csv(data: bytes, name: str, warnings: list[str]) -> Iterator[Row]:
    label = _really_is(data)
    if label:
        raise ImportFileError(f"« {name} » n'est pas un fichier CSV : son contenu est {label}.")
    text = decode_text(data, name, warnings)
    hint = re.match(r"^sep=(.)\r?\n", text)  # Excel's "sep=;" first line, hidden when opened
    if hint:
        text, delimiter = text[hint.end():], hint.group(1)
    else:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if not any(record):
                continue  # a blank line, or separators only
            if max(map(len, record)) > MAX_CELL_CHARS:
                raise ImportFileError(_cell_too_long(name, number))
            beyond = 0
            if len(record) > MAX_COLUMNS:
                rest = record[MAX_COLUMNS:]
                beyond, record = len(rest) - rest.count(""), record[:MAX_COLUMNS]
            yield number, record, beyond, ""
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ImportFileError(_cell_too_long(name, reader.line_num)) from exc
        raise ImportFileError(f"« {name} » n'est pas un CSV lisible (ligne {reader.line_num}) "
                              f": {exc}.") from exc


def _cell_too_long(name: str, line: int) -> str:
    return (f"« {name} » : une cellule de la ligne {line} dépasse {integer(MAX_CELL_CHARS)} "
            "caractères (un guillemet « \" » jamais refermé ?). Corrigez cette ligne.")


# --- Excel -------------------------------------------------------------------------------

_WORKBOOK_PARTS_LIMIT = 4 * 1024 * 1024  # workbook.xml and its relationships
_ERROR_VALUE = re.compile(r"#(NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|"
                          r"CALC!|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!|PYTHON!)")
_INTEGER = re.compile(r"-?\d{1,4000}")  # int() refuses longer texts
# Numbers whose text is already the one _cell_text(float(text)) would give.
# (at most 15 characters: 15 significant digits at most, like "%.15g").
_PLAIN_NUMBER = re.compile(r"(?=.{1,15}$)(?:-?[1-9]\d*|0)(?:\.\d*[1-9])?")


def _open_archive(data: bytes, name: str) -> zipfile.ZipFile:
    label = _really_is(data)
    if label is None:
        raise ImportFileError(
            f"« {name} » n'est pas un classeur Excel : son contenu ressemble à un fichier "
            "texte (CSV ?). Renommez-le en .csv ou enregistrez-le au format Excel (.xlsx).")
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(f"« {name} » n'est pas un classeur Excel (.xlsx) : son contenu "
                              f"est {label}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, a truncated central directory...
        raise ImportFileError(f"« {name} » est un classeur Excel illisible ou abîmé "
                              f"(archive ZIP invalide).") from exc
    if "xl/workbook.xml" not in archive.NameToInfo:
        archive.close()
        raise ImportFileError(f"« {name} » est une archive ZIP mais pas un classeur "
                              "Excel (.xlsx).")
    return archive


def _local(name: str) -> str:
    """'http://...main c' (expat with a namespace separator) or 'x:c' -> 'c'."""
    return name.rpartition(" ")[2].rpartition(":")[2]


def _parse_small(archive: zipfile.ZipFile, path: str, on_start) -> None:
    """Parse a small part (workbook, relationships) calling ``on_start(local, attrs)``."""
    info = archive.NameToInfo.get(path)
    if info is None:
        return
    if info.file_size > _WORKBOOK_PARTS_LIMIT:
        raise _AbnormalPart(path, info.file_size, _WORKBOOK_PARTS_LIMIT)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = lambda tag, attrs: on_start(
        _local(tag), {_local(k): v for k, v in attrs.items()})
    with archive.open(info) as stream:
        parser.ParseFile(stream)


class _AbnormalPart(Exception):
    def __init__(self, path: str, size: int, limit: int) -> None:
        super().__init__(path)
        self.path, self.size, self.limit = path, size, limit


def _workbook(archive: zipfile.ZipFile, name: str):
    """([(sheet name, "worksheet" | "chartsheet" | other, part path)], date1904)."""
    sheets, targets, date1904 = [], {}, [False]

    def on_workbook(tag, attrs):
        if tag == "sheet":
            sheets.append((attrs.get("name", ""), attrs.get("id", "")))
        elif tag == "workbookPr":
            date1904[0] = attrs.get("date1904", "").lower() in {"1", "true"}

    def on_rels(tag, attrs):
        if tag == "Relationship":
            targets[attrs.get("Id", "")] = (attrs.get("Type", "").rpartition("/")[2],
                                            attrs.get("Target", ""))

    try:
        _parse_small(archive, "xl/workbook.xml", on_workbook)
        _parse_small(archive, "xl/_rels/workbook.xml.rels", on_rels)
    except _AbnormalPart as exc:
        raise ImportFileError(_too_big(name, exc)) from exc
    except Exception as exc:  # expat.ExpatError, zlib.error, an encrypted member...
        raise ImportFileError(f"« {name} » est un classeur Excel illisible ou abîmé "
                              f"({type(exc).__name__}).") from exc
    listed = []
    for title, rid in sheets:
        kind, target = targets.get(rid, ("", ""))
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        listed.append((title, kind, path))
    return listed, date1904[0]


def _too_big(name: str, part: _AbnormalPart) -> str:
    return (f"« {name} » est un classeur trop lourd une fois décompressé : sa partie "
            f"« {part.path} » pèse {_megabytes(part.size)} Mo, la limite est de "
            f"{_megabytes(part.limit)} Mo. Il contient sans doute des milliers de lignes ou de "
            "colonnes vides mises en forme, ou un tableau trop grand : copiez seulement le "
            "tableau utile dans un nouveau classeur, ou enregistrez-le en CSV.")


def _choose_sheet(listed, sheet, name: str) -> tuple[str, str]:
    cells = [(title, path) for title, kind, path in listed if kind == "worksheet"]
    if sheet is None:
        if not cells:
            others = ", ".join(f"« {t} »" for t, _, _ in listed) or "aucune"
            raise ImportFileError(f"« {name} » ne contient aucune feuille de cellules "
                                  f"(feuilles : {others}, des graphiques ?).")
        return cells[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(cells):
        return cells[sheet]
    for title, kind, path in listed:
        if title == sheet:
            if kind != "worksheet":
                raise ImportFileError(f"La feuille « {sheet} » de « {name} » est un graphique, "
                                      "pas un tableau : choisissez une autre feuille.")
            return title, path
    raise ImportFileError(f"Feuille « {sheet} » introuvable dans « {name} » "
                          f"(feuilles : {', '.join(t for t, _ in cells)}).")


def _read_xlsx(data: bytes, name: str, sheet: str | int | None,
               warnings: list[str]) -> Iterator[Row]:
    with _open_archive(data, name) as archive:
        listed, date1904 = _workbook(archive, name)
        title, path = _choose_sheet(listed, sheet, name)
        if sheet is None and listed and listed[0][1] != "worksheet":
            warnings.append(f"« {name} » : la première feuille, « {listed[0][0]} », est un "
                            f"graphique ; la feuille « {title} » est lue à sa place.")
        parts = [path, "xl/sharedStrings.xml", "xl/styles.xml"]
        infos = [archive.NameToInfo.get(p) for p in parts]
        if infos[0] is None:
            raise ImportFileError(f"« {name} » est un classeur Excel abîmé : la feuille "
                                  f"« {title} » est annoncée mais absente de l'archive.")
        total = sum(i.file_size for i in infos if i is not None)
        if total > MAX_XML_BYTES:  # declared sizes, checked before decompressing anything
            biggest = max((i for i in infos if i is not None), key=lambda i: i.file_size)
            raise ImportFileError(_too_big(name, _AbnormalPart(
                biggest.filename, biggest.file_size, MAX_XML_BYTES)))
        try:
            budget = _Budget(name)
            strings = _shared_strings(archive, infos[1], budget)
            dates = _date_styles(archive, infos[2], budget)
            yield from _sheet_rows(archive, infos[0], strings, dates, date1904, budget)
        except ImportFileError:
            raise
        except Exception as exc:  # expat.ExpatError, zlib.error, BadZipFile, CRC...
            raise ImportFileError(f"« {name} » est un classeur Excel illisible ou abîmé "
                                  f"({type(exc).__name__}).") from exc


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes by 1 MiB chunks, never more than its declared size (zipfile cuts
    there; counted again here so that the bound does not rest on it)."""
    left = info.file_size
    with archive.open(info) as stream:
        while left > 0:
            chunk = stream.read(min(1 << 20, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def _parse_stream(archive, info, parser, budget: "_Budget",
                  drop: re.Pattern | None = None) -> Iterator[None]:
    """Feed the part to ``parser`` chunk by chunk, yielding between chunks; each chunk's
    tags are counted (in C) against the budget before expat sees it, once what ``drop``
    matches is removed (an element cut between two chunks is simply kept)."""
    for chunk in _stream(archive, info):
        if drop is not None:
            chunk = drop.sub(b"", chunk)
        budget.spend(chunk.count(b"<") + chunk.count(b"/>"))
        parser.Parse(chunk, False)
        yield
    parser.Parse(b"", True)
    yield


def _shared_strings(archive, info, budget: "_Budget") -> list[str]:
    if info is None:
        return []
    strings: list[str] = []
    parts: list[str] = []
    state = _SheetState()

    def start(tag, attrs):
        tag = tag.rpartition(":")[2]
        if tag == "t":
            state.capture = not state.skip
        elif tag == "rPh":  # furigana: not part of the text
            state.skip += 1

    def end(tag):
        tag = tag.rpartition(":")[2]
        if tag == "t":
            state.capture = False
        elif tag == "si":
            strings.append("".join(parts))
            parts.clear()
        elif tag == "rPh":
            state.skip -= 1

    def text(data):
        if state.capture:
            parts.append(data)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    for _ in _parse_stream(archive, info, parser, budget):
        pass
    return strings


def _date_styles(archive, info, budget: "_Budget") -> dict[int, bool]:
    """Style index -> True for a date (or date and time), False for a time of day only."""
    if info is None:
        return {}
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    formats = dict(BUILTIN_FORMATS)
    xfs: list[int] = []
    state = _SheetState()  # capture: inside <cellXfs>

    def start(tag, attrs):
        tag = tag.rpartition(":")[2]
        if tag == "numFmt":
            number = attrs.get("numFmtId", "")
            if number.isdigit():
                formats[int(number)] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            state.capture = True
        elif tag == "xf" and state.capture:
            number = attrs.get("numFmtId", "0")
            xfs.append(int(number) if number.isdigit() else 0)

    def end(tag):
        if tag.rpartition(":")[2] == "cellXfs":
            state.capture = False

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    for _ in _parse_stream(archive, info, parser, budget):
        pass
    styles = {}
    kinds: dict[int, bool | None] = {}
    for index, format_id in enumerate(xfs):
        if format_id not in kinds:
            code = formats.get(format_id, "")
            kinds[format_id] = None
            if code and is_date_format(code):
                bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code).lower()
                kinds[format_id] = bool(re.search(r"[dy]", bare)) or (
                    "m" in bare and "h" not in bare)
        if kinds[format_id] is not None:
            styles[index] = kinds[format_id]
    return styles


_COLUMN_CACHE: dict[str, int] = {}


def _column(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384 (0 for what is not a column)."""
    index = _COLUMN_CACHE.get(letters)
    if index is None:
        index = 0
        for char in letters[:4]:
            if not "A" <= char <= "Z":
                return 0
            index = index * 26 + ord(char) - 64
        if len(_COLUMN_CACHE) < 20_000:
            _COLUMN_CACHE[letters] = index
    return index


class _Budget:
    """XML tags parsed in all, for one workbook: what the time of a read is made of (each
    costs one or two Python calls). A workbook that needs more is refused, whatever its
    size, before expat sees the chunk that passes the limit."""

    def __init__(self, name: str, limit: int | None = None) -> None:
        limit = MAX_XML_TAGS if limit is None else limit
        self.name, self.limit, self.used = name, limit, 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise ImportFileError(
                f"« {self.name} » contient trop d'éléments : plus de {integer(self.limit)} "
                "balises XML (cellules, lignes, textes, y compris vides mises en forme). "
                "Copiez seulement le tableau utile dans un nouveau classeur, ou enregistrez-le en "
                "CSV.")


# Empty cells and rows that say where they are: dropped (in C) before expat sees them, so
# that a sheet of formatted empty cells reads as fast as its filled ones.
_EMPTY_WITH_PLACE = re.compile(rb'<(?:c r="[A-Z]{1,3}[0-9]{1,7}"|row r="[0-9]{1,7}")[^<>]*/>')


def _sheet_rows(archive, info, strings: list[str], dates: dict[int, bool],
                date1904: bool, budget: _Budget) -> Iterator[Row]:
    """The sheet's rows, streamed: expat is fed 1 MiB at a time and the rows parsed so
    far are handed over before the next chunk, so the caller can stop at any point. An
    empty row or cell costs two calls and nothing more. Closure variables and tag names are
    compared as they come: this is the hot loop of an Excel import."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    ready: list[Row] = []
    cells: list[tuple[int, str]] = []
    problems: list[str] = []
    plain, cache = _PLAIN_NUMBER.fullmatch, _COLUMN_CACHE
    count = len(strings)
    cell: dict = {}
    row: dict = {}
    raw: str | None = None
    capture = False
    skip = number = column = beyond = 0
    tag_c, tag_v, tag_t, tag_row, tag_rph = "c", "v", "t", "row", "rPh"
    first = True

    def here() -> str:
        nonlocal number
        r = row.get("r", "")
        if r.isdigit():
            number = int(r)
        return f"ligne {number}, colonne {column}"

    def start(tag, attrs):
        nonlocal cell, row, capture, skip, number, first
        nonlocal tag_c, tag_v, tag_t, tag_row, tag_rph
        if tag == tag_c:
            cell = attrs
        elif tag == tag_v or tag == tag_t:
            capture = not skip
        elif tag == tag_row:
            number += 1  # a row without "r" follows the previous one
            row = attrs
        elif tag == tag_rph:
            skip += 1
        elif first:  # the root: its prefix ("x:worksheet") is every tag's
            first = False
            prefix = tag[:tag.rindex(":") + 1] if ":" in tag else ""
            tag_c, tag_v, tag_t, tag_row, tag_rph = (
                prefix + t for t in ("c", "v", "t", "row", "rPh"))

    def end(tag):
        nonlocal raw, capture, skip, number, column, beyond
        if tag == tag_c:
            ref = cell.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = cache.get(letters) or _column(letters) or column + 1
            else:
                column += 1
            if raw is None:
                return
            text, raw = raw, None
            kind = cell.get("t")
            index = int(text) if kind == "s" and text.isdigit() else count
            if index < count:
                value = strings[index]
            elif kind is None and (not dates or cell.get("s") is None) and plain(text):
                value = text  # a number as typed (2012, 3.5): what float() would print
            else:
                value = _cell_value(cell, text, strings, dates, epoch, from_excel, problems,
                                    ref or here())
            if value:
                if column > MAX_COLUMNS:
                    beyond += 1
                else:
                    cells.append((column, value))
        elif tag == tag_v or tag == tag_t:
            capture = False
        elif tag == tag_row:
            column = 0
            if cells or beyond or problems:
                r = row.get("r", "")
                if r.isdigit():
                    number = int(r)
                values = [""] * max(c for c, _ in cells) if cells else []
                for at, value in cells:
                    values[at - 1] = value
                ready.append((number, values, beyond, " ; ".join(problems)))
                cells.clear()
                problems.clear()
                beyond = 0
        elif tag == tag_rph:
            skip -= 1

    def text(data):
        nonlocal raw
        if capture:
            raw = data if raw is None else raw + data

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    for _ in _parse_stream(archive, info, parser, budget, _EMPTY_WITH_PLACE):
        yield from ready
        ready.clear()


class _SheetState:
    """What a streaming pass over a workbook part remembers between tags."""

    __slots__ = ("capture", "skip")

    def __init__(self) -> None:
        self.capture = False
        self.skip = 0


def _cell_value(attrs, raw: str, strings, dates, epoch, from_excel, problems: list[str],
                where: str) -> str:
    kind = attrs.get("t", "n")
    if kind == "s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError):
            problems.append(f"cellule {where} : texte partagé introuvable (classeur abîmé)")
            return ""
    if kind == "inlineStr" or kind == "str":
        return raw
    if kind == "b":
        return {"1": "oui", "0": "non", "true": "oui", "false": "non"}.get(raw.strip(), raw)
    if kind == "e" or raw[:1] == "#" and _ERROR_VALUE.fullmatch(raw.strip()):
        problems.append(f"cellule {where} : erreur de formule Excel {raw.strip()} (corrigez "
                        "la formule ou remplacez-la par sa valeur)")
        return raw.strip()
    if kind == "d":
        try:
            return _cell_text(datetime.fromisoformat(raw.strip()))
        except ValueError:
            return raw
    # a number ("n", or no type)
    style = attrs.get("s")
    if style is not None and dates:
        is_date = dates.get(int(style)) if style.isdigit() else None
        if is_date is not None:
            try:
                moment = from_excel(float(raw), epoch)
            except (ValueError, OverflowError, TypeError):
                return raw
            if isinstance(moment, datetime) and not is_date:
                return moment.time().isoformat()
            return _cell_text(moment)
    if _INTEGER.fullmatch(raw):
        return str(int(raw))
    try:
        return _cell_text(float(raw))
    except ValueError:
        return raw  # some writers store text in a number cell


def _cell_text(value: object) -> str:
    """An Excel value as the text the analyst typed (2012 not 2012.0, dates in ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        if not math.isfinite(value):  # NaN and infinities, written as Python does
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# --- GeoJSON -----------------------------------------------------------------------------

def _read_geojson(data: bytes, name: str, max_rows: int, warnings: list[str]):
    label = _really_is(data)
    if label:
        raise ImportFileError(f"« {name} » n'est pas un GeoJSON : son contenu est {label}.")
    try:
        document = json.loads(decode_text(data, name, warnings))
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"« {name} » n'est pas un GeoJSON lisible (JSON invalide, "
                              f"ligne {exc.lineno}, colonne {exc.colno}).") from exc
    except RecursionError as exc:
        raise ImportFileError(_too_nested(name)) from exc
    records = _json_records(document)
    if records is not None:
        features = [_record_feature(r) for r in records]
    else:
        features = _features(document, name)
    if len(features) > max_rows:
        raise ImportFileError(f"Le fichier compte {integer(len(features))} lignes : la limite "
                              f"est de {integer(max_rows)}. Découpez-le en plusieurs fichiers.")
    keys: dict[str, None] = {}
    for feature_no, feature in enumerate(features, start=1):
        properties = feature.get("properties")
        if properties is None:
            continue
        if not isinstance(properties, dict):
            raise ImportFileError(
                f"« {name} » : les « properties » de l'entité n° {feature_no} sont "
                f"{_json_kind(properties)} au lieu d'un objet {{« nom » : valeur, …}} : le "
                "fichier est mal formé. Exportez-le à nouveau en GeoJSON depuis votre "
                "logiciel SIG.")
        keys.update(dict.fromkeys(properties))
        if len(keys) > MAX_COLUMNS + 3:
            raise ImportFileError(f"« {name} » compte plus de {MAX_COLUMNS} attributs "
                                  "différents : gardez seulement les attributs utiles.")
    header = [str(k) for k in keys if k not in ("longitude", "latitude", READ_PROBLEM)]
    header += ["longitude", "latitude", READ_PROBLEM]
    _check_slots(len(features), len(header))
    rows: list[Row] = []
    try:
        for feature_no, feature in enumerate(features, start=1):
            properties = feature.get("properties") or {}
            lon, lat, problem = _point(feature.get("geometry"))
            cells = [_json_text(properties.get(k)) for k in header[:-3]] + [lon, lat, problem]
            rows.append((feature_no, cells, 0, ""))
    except RecursionError as exc:
        raise ImportFileError(_too_nested(name)) from exc
    _count_cells(rows)
    return header, rows


def _json_records(document: object) -> list[dict] | None:
    """A plain JSON export (the older « lieux de médiation numérique » exports): a list of
    objects, or {"data": [...]}; nested objects (``adresse``, ``localisation``,
    ``contact``) are flattened, each value under its own key (``code_postal``), or
    ``parent_key`` when the key is taken. None when the document is not such a list."""
    if isinstance(document, dict) and document.get("type") in ("FeatureCollection", "Feature"):
        return None
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        document = document["data"]
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        return None
    return [_flatten(r) for r in document]


def _record_feature(record: dict) -> dict:
    """A flattened record as a feature: its latitude/longitude become the point."""
    lat, lon = record.pop("latitude", None), record.pop("longitude", None)
    geometry = None
    if lat not in (None, "") or lon not in (None, ""):
        try:
            geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
        except (TypeError, ValueError):
            geometry = {"type": "Point", "coordinates": [lon, lat]}  # said on its row
    return {"type": "Feature", "properties": record, "geometry": geometry}


def _flatten(record: dict) -> dict:
    flat = {k: v for k, v in record.items() if not isinstance(v, dict)}
    for parent, inner in record.items():
        if isinstance(inner, dict):
            for key, value in _flatten(inner).items():
                flat[key if key not in flat else f"{parent}_{key}"] = value
    return flat


def _too_nested(name: str) -> str:
    return (f"« {name} » n'est pas un GeoJSON lisible : ses listes ou objets sont imbriqués "
            "trop profondément. Exportez-le à nouveau en GeoJSON depuis votre logiciel SIG.")


def _json_kind(value: object) -> str:
    if isinstance(value, str):
        return "un texte"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, bool):
        return "un booléen"
    return "un nombre" if isinstance(value, (int, float)) else "une valeur"


def _features(document: object, name: str) -> list[dict]:
    if not isinstance(document, dict) or document.get("type") not in ("FeatureCollection",
                                                                      "Feature"):
        raise ImportFileError(f"« {name} » n'est pas un GeoJSON : une FeatureCollection "
                              "de points est attendue.")
    crs = json.dumps(document.get("crs") or "")
    if document.get("crs") and not re.search(r"CRS84|EPSG:*:?4326", crs):
        raise ImportFileError(f"« {name} » déclare un autre système de coordonnées que WGS84 "
                              f"({shorten_crs(crs)}) : exportez-le en WGS84 (EPSG:4326).")
    features = document.get("features", []) if document["type"] == "FeatureCollection" \
        else [document]
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise ImportFileError(f"« {name} » : la liste « features » est mal formée.")
    return features


def shorten_crs(text: str) -> str:
    found = re.search(r"EPSG[^\"]*\d+|[A-Z]+\d+", text)
    return found.group(0) if found else text[:60]


def _point(geometry: object) -> tuple[str, str, str]:
    """(lon, lat, problem) of a feature's geometry; a non-point is a problem for its row."""
    if geometry is None:
        return "", "", ""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "MultiPoint" and isinstance(coordinates, list) and len(coordinates) == 1:
        kind, coordinates = "Point", coordinates[0]
    if kind != "Point":
        shown = kind if isinstance(kind, str) and len(kind) < 40 else "inconnu"
        return "", "", f"géométrie de type {shown or 'inconnu'} : un point est attendu"
    if (not isinstance(coordinates, list) or len(coordinates) < 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool)
                       for c in coordinates[:2])):
        return "", "", "point sans coordonnées numériques"
    return _json_text(coordinates[0]), _json_text(coordinates[1]), ""


def _json_text(value: object) -> str:
    if isinstance(value, list):
        return "|".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return _cell_text(value)


# --- shared ------------------------------------------------------------------------------

def _too_many_rows(max_rows: int, count: int | None = None) -> ImportFileError:
    counted = f"compte {integer(count)}" if count else "compte plus de " + integer(max_rows)
    return ImportFileError(f"Le fichier {counted} lignes : la limite est de "
                           f"{integer(max_rows)}. Découpez-le en plusieurs fichiers.")


def _check_slots(rows: int, columns: int) -> None:
    if rows * columns > MAX_SLOTS:
        raise ImportFileError(
            f"Le tableau ferait {integer(rows)} lignes sur {integer(columns)} colonnes, plus "
            f"de {integer(MAX_SLOTS)} cases : supprimez les colonnes vides ou inutiles, ou "
            "découpez le fichier.")


def _count_cells(rows: Iterable[Row]) -> None:
    filled = sum(len(cells) - cells.count("") for _, cells, _, _ in rows)
    if filled > MAX_CELLS:
        raise ImportFileError(
            f"Le fichier contient plus de {integer(MAX_CELLS)} cellules remplies : gardez "
            "seulement les colonnes utiles ou découpez-le en plusieurs fichiers.")


def _gather(rows: Iterable[Row], max_rows: int) -> list[Row]:
    """The rows that hold something, read until the row or cell limit is passed (the rest
    of the file is then never read)."""
    kept: list[Row] = []
    limit = max_rows + 1 + TITLE_ROWS  # the data rows, a header and rows above it
    filled = 0
    for row in rows:
        _, cells, beyond, problem = row
        if beyond or problem or (any(cells) and any(c.strip() for c in cells)):
            kept.append(row)
            filled += len(cells) - cells.count("")
            if len(kept) > limit:
                raise _too_many_rows(max_rows)
            if filled > MAX_CELLS:
                _count_cells(kept)
    return kept


def _with_header(rows: list[Row], warnings: list[str]):
    """Header row and data rows: the first filled row, unless it is a title above the
    header (found by its known column names, or by being one lone sentence)."""
    filled = [r for r in rows if r[2] or r[3] or any(clean(c) for c in r[1])]
    if not filled:
        raise ImportFileError("Le fichier est vide.")
    at = _header_position(filled[:TITLE_ROWS + 1])
    if at:
        skipped = [next(clean(c) for c in cells if clean(c)) for _, cells, _, _ in filled[:at]]
        shown = ", ".join(f"« {s[:60]} »" for s in skipped)
        above = "la ligne au-dessus" if at == 1 else f"les {at} lignes au-dessus"
        warnings.append(f"Les noms de colonnes sont lus sur la ligne {filled[at][0]} ; "
                        f"{above} ({shown}) {'est ignorée' if at == 1 else 'sont ignorées'}.")
    (_, header, beyond, _), data = filled[at], filled[at + 1:]
    header = list(header)
    while header and not clean(header[-1]):
        header = header[:-1]  # trailing separators / empty Excel columns
    if beyond or len(header) > MAX_COLUMNS:
        raise ImportFileError(f"La ligne d'en-tête (ligne {filled[at][0]}) compte plus de "
                              f"{MAX_COLUMNS} colonnes : gardez seulement les colonnes utiles.")
    return header, data


def _header_position(top: list[Row]) -> int:
    def known(row: Row) -> int:
        return sum(1 for c in row[1][:MAX_COLUMNS] if c and known_header(c))

    def lone_sentence(row: Row) -> bool:
        texts = [clean(c) for c in row[1] if clean(c)]
        return (len(texts) == 1 and not row[2]
                and (" " in texts[0] or len(texts[0]) > 20))

    def width(row: Row) -> int:
        return sum(1 for c in row[1] if clean(c))

    first = known(top[0])
    if first >= 2 or len(top) == 1:
        return 0
    for position, row in enumerate(top[1:], start=1):
        # a header below rows that are much narrower than it (titles, a date), never
        # below a row as wide as itself: that one is the header, the rest is data
        if (known(row) >= 2 and known(row) > first
                and all(2 * width(above) <= width(row) for above in top[:position])):
            return position
    position = 0
    while (position < len(top) - 1 and lone_sentence(top[position])
           and known(top[position]) == 0
           and any(sum(1 for c in r[1] if clean(c)) >= 2 for r in top[position + 1:])):
        position += 1
    return position


def _unique_headers(header: list[str]) -> list[str]:
    names, seen = [], {}
    for position, raw in enumerate(header, start=1):
        base = re.sub(r"\s+", " ", clean(raw)) or f"Colonne {position}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return names


def _finish(header: list[str], rows: list[Row], max_rows: int) -> pd.DataFrame:
    if not rows:
        raise ImportFileError("Le fichier ne contient aucune ligne de données "
                              "(seulement des en-têtes ?).")
    if len(rows) > max_rows:
        raise _too_many_rows(max_rows, len(rows))
    columns = _unique_headers(header)
    width = len(columns)
    _check_slots(len(rows), width)
    cells, problems = [], []
    for _, values, beyond, problem in rows:
        values = [clean(v) if v else "" for v in values]
        extra = sum(1 for v in values[width:] if v) + beyond
        cells.append((values + [""] * width)[:width] if len(values) != width else values)
        notes = [problem] if problem else []
        if extra:
            notes.append(f"{extra} cellule(s) au-delà de la dernière colonne "
                         "(séparateur en trop dans une valeur ?)")
        problems.append(" ; ".join(notes))
    frame = pd.DataFrame(cells, columns=columns, index=[n for n, _, _, _ in rows],
                         dtype=object)
    if READ_PROBLEM in frame.columns:
        frame[READ_PROBLEM] = [p or q
                              for p, q in zip(frame[READ_PROBLEM], problems, strict=True)]
    elif any(problems):
        frame[READ_PROBLEM] = problems
    frame.index.name = "ligne"
    return frame.astype(str)
