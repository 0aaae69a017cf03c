"""Read an uploaded file (CSV, Excel .xlsx, GeoJSON) into a table of strings.

Every reader returns a DataFrame whose cells are all ``str`` ("" when empty) and whose index
is the row number the user sees: in a CSV or a sheet the header is row 1, so the first data
row is 2; in a GeoJSON it is the feature's number (1 for the first). Nothing is interpreted
here: numbers, dates and codes stay text until validation.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import zipfile
from datetime import date, datetime, time
from pathlib import PurePath

import pandas as pd

from observatory.importing.parsing import clean

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 50_000
MAX_COLUMNS = 300
# A reserved column: what went wrong reading a row (a polygon where a point was expected,
# cells beyond the last header). Validation turns it into an error on that row.
READ_PROBLEM = "_probleme_lecture"

CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm"}
GEOJSON_EXTENSIONS = {".geojson", ".json"}
SUPPORTED = "CSV (.csv), Excel (.xlsx) ou GeoJSON (.geojson)"

_SIGNATURES = (  # leading bytes -> what the file really is, for the French message
    (b"\x89PNG", "une image PNG"), (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"), (b"%PDF", "un document PDF"),
    (b"PK\x03\x04", "une archive ZIP (classeur Excel, OpenDocument ou Word)"),
    (b"\xd0\xcf\x11\xe0", "un ancien classeur Excel (.xls) ou document Office"),
    (b"\x1f\x8b", "une archive compressée (gzip)"), (b"SQLite format", "une base SQLite"),
)


class ImportFileError(ValueError):
    """The file cannot be read at all; the message is French, for the UI and the CLI."""


def read_table(data: bytes, filename: str, *, sheet: str | int | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = DEFAULT_MAX_ROWS,
               ) -> pd.DataFrame:
    """The file's rows as strings, indexed by the row number the user sees.

    ``sheet`` picks an Excel sheet by name or position (default: the first one).
    Raises ``ImportFileError`` for an empty, oversized, unreadable or mislabelled file.
    """
    name = PurePath(filename or "fichier").name
    extension = PurePath(name).suffix.lower()
    _check_size(data, max_bytes)
    if extension in CSV_EXTENSIONS:
        table = _read_csv(data, name)
    elif extension in EXCEL_EXTENSIONS:
        table = _read_xlsx(data, name, sheet)
    elif extension in GEOJSON_EXTENSIONS:
        table = _read_geojson(data, name)
    else:
        raise ImportFileError(_unsupported(name, extension))
    return _finish(table, max_rows)


def sheet_names(data: bytes, filename: str) -> list[str]:
    """Names of an Excel file's sheets, for the UI to offer a choice ([] for other formats)."""
    if PurePath(filename).suffix.lower() not in EXCEL_EXTENSIONS:
        return []
    return list(_open_workbook(data, PurePath(filename).name).sheetnames)


def _unsupported(name: str, extension: str) -> str:
    if extension == ".xls":
        return (f"« {name} » est au format Excel 97-2003 (.xls), non pris en charge : "
                "enregistrez-le au format Excel (.xlsx) ou CSV.")
    if extension in {".ods", ".odt"}:
        return (f"« {name} » est au format OpenDocument, non pris en charge : "
                "enregistrez-le au format Excel (.xlsx) ou CSV.")
    shown = extension or "sans extension"
    return f"Format de fichier non pris en charge ({shown}) : utilisez un fichier {SUPPORTED}."


def _check_size(data: bytes, max_bytes: int) -> None:
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ImportFileError("Le fichier est vide.")
    if len(data) > max_bytes:
        size = f"{len(data) / 1024 / 1024:.1f}".replace(".", ",")
        limit = f"{max_bytes / 1024 / 1024:g}".replace(".", ",")
        raise ImportFileError(f"Le fichier pèse {size} Mo : la limite est de {limit} Mo. "
                              "Découpez-le ou gardez seulement les colonnes utiles.")


def _really_is(data: bytes) -> str | None:
    for signature, label in _SIGNATURES:
        if data.startswith(signature):
            return label
    return None


# --- CSV ---------------------------------------------------------------------------------

def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "texte Unicode") or
    Windows-1252 (Excel's French "CSV (séparateur : point-virgule)")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data[3:], "utf-8", name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(data, "utf-16", name)
    if b"\x00" in data[:4096]:
        raise ImportFileError(f"« {name} » n'est pas un fichier texte : il contient des "
                              "octets binaires. Exportez-le en CSV depuis votre tableur.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if re.search(rb"[\xc3\xc5][\x80-\xbf]", data):
        raise ImportFileError(f"« {name} » mélange deux encodages (UTF-8 et Windows-1252) : "
                              "rouvrez-le dans votre tableur et enregistrez-le en CSV UTF-8.")
    return _decode(data, "cp1252", name)


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"« {name} » contient des octets illisibles (ligne {line}, octet "
            f"0x{data[exc.start]:02x}) : ni UTF-8 ni Windows-1252. Enregistrez le fichier "
            "en « CSV UTF-8 » depuis votre tableur.") from exc


def sniff_delimiter(text: str) -> str:
    """The separator among ; , tab | that cuts the first rows into the most regular columns."""
    best, best_score = ",", (-1.0, 0)
    for delimiter in (";", ",", "\t", "|"):
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            rows = [r for r in itertools.islice(reader, 50) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        regular = sum(len(r) == width for r in rows) / len(rows)
        if (regular, width) > best_score:
            best, best_score = delimiter, (regular, width)
    if best_score[0] < 0:  # no candidate gave two columns: the most frequent one
        first = next((line for line in text.splitlines() if line.strip()), "")
        best = max((";", ",", "\t", "|"), key=first.count)
    return best


def _read_csv(data: bytes, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    label = _really_is(data)
    if label:
        raise ImportFileError(f"« {name} » n'est pas un fichier CSV : son contenu est {label}.")
    text = decode_text(data, name)
    hint = re.match(r"^sep=(.)\r?\n", text)  # Excel's "sep=;" first line, hidden when opened
    if hint:
        text, delimiter = text[hint.end():], hint.group(1)
    else:
        delimiter = sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(f"« {name} » n'est pas un CSV lisible : {exc}.") from exc
    return _split_header(list(enumerate(records, start=1)))


# --- Excel -------------------------------------------------------------------------------

def _open_workbook(data: bytes, name: str):
    from openpyxl import load_workbook

    label = _really_is(data)
    if label is None:
        raise ImportFileError(
            f"« {name} » n'est pas un classeur Excel : son contenu ressemble à un fichier "
            "texte (CSV ?). Renommez-le en .csv ou enregistrez-le au format Excel (.xlsx).")
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(f"« {name} » n'est pas un classeur Excel (.xlsx) : son contenu "
                              f"est {label}.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportFileError(f"« {name} » est une archive ZIP mais pas un classeur "
                                      "Excel (.xlsx).")
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a corrupt file
        raise ImportFileError(f"« {name} » est un classeur Excel illisible ou abîmé "
                              f"({type(exc).__name__}).") from exc


def _read_xlsx(data: bytes, name: str, sheet: str | int | None):
    workbook = _open_workbook(data, name)
    try:
        names = workbook.sheetnames
        if sheet is None:
            chosen = names[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            chosen = names[sheet]
        elif sheet in names:
            chosen = sheet
        else:
            raise ImportFileError(f"Feuille « {sheet} » introuvable dans « {name} » "
                                  f"(feuilles : {', '.join(names)}).")
        worksheet = workbook[chosen]
        worksheet.reset_dimensions()  # some writers record a wrong sheet size
        rows = [(n, [_cell_text(v) for v in values[:MAX_COLUMNS]])
                for n, values in enumerate(worksheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()
    return _split_header(rows)


def _cell_text(value: object) -> str:
    """An Excel value as the text the analyst typed (2012 not 2012.0, dates in ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# --- GeoJSON -----------------------------------------------------------------------------

def _read_geojson(data: bytes, name: str):
    label = _really_is(data)
    if label:
        raise ImportFileError(f"« {name} » n'est pas un GeoJSON : son contenu est {label}.")
    try:
        document = json.loads(decode_text(data, name))
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"« {name} » n'est pas un GeoJSON lisible (JSON invalide, "
                              f"ligne {exc.lineno}, colonne {exc.colno}).") from exc
    features = _features(document, name)
    keys: dict[str, None] = {}
    for feature in features:
        keys.update(dict.fromkeys((feature.get("properties") or {}).keys()))
    header = [str(k) for k in keys if k not in ("longitude", "latitude", READ_PROBLEM)]
    header += ["longitude", "latitude", READ_PROBLEM]
    rows = []
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        lon, lat, problem = _point(feature.get("geometry"))
        cells = [_json_text(properties.get(k)) for k in header[:-3]] + [lon, lat, problem]
        rows.append((number, cells))
    return header, rows


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
        return "", "", f"géométrie de type {kind or 'inconnu'} : un point est attendu"
    if (not isinstance(coordinates, list) or len(coordinates) < 2
            or not all(isinstance(c, (int, float)) for c in coordinates[:2])):
        return "", "", "point sans coordonnées numériques"
    return _json_text(coordinates[0]), _json_text(coordinates[1]), ""


def _json_text(value: object) -> str:
    if isinstance(value, list):
        return "|".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return _cell_text(value)


# --- shared ------------------------------------------------------------------------------

def _split_header(rows: list[tuple[int, list[str]]]):
    """The first non-empty row is the header; the rest are data rows with their number."""
    filled = [(n, cells) for n, cells in rows if any(clean(c) for c in cells)]
    if not filled:
        raise ImportFileError("Le fichier est vide.")
    (_, header), data = filled[0], filled[1:]
    while header and not clean(header[-1]):
        header = header[:-1]  # trailing separators / empty Excel columns
    return header, data


def _unique_headers(header: list[str]) -> list[str]:
    names, seen = [], {}
    for position, raw in enumerate(header, start=1):
        base = re.sub(r"\s+", " ", clean(raw)) or f"Colonne {position}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return names


def _finish(table, max_rows: int) -> pd.DataFrame:
    header, rows = table
    if not rows:
        raise ImportFileError("Le fichier ne contient aucune ligne de données "
                              "(seulement des en-têtes ?).")
    if len(rows) > max_rows:
        raise ImportFileError(f"Le fichier compte {len(rows)} lignes : la limite est de "
                              f"{max_rows}. Découpez-le en plusieurs fichiers.")
    columns = _unique_headers(header)
    width = len(columns)
    cells, problems = [], []
    for _, values in rows:
        values = [clean(v) for v in values]
        extra = [v for v in values[width:] if v]
        cells.append((values + [""] * width)[:width])
        problems.append(f"{len(extra)} cellule(s) au-delà de la dernière colonne "
                        "(séparateur en trop dans une valeur ?)" if extra else "")
    frame = pd.DataFrame(cells, columns=columns, index=[n for n, _ in rows], dtype=object)
    if READ_PROBLEM in frame.columns:
        frame[READ_PROBLEM] = [p or q for p, q in zip(frame[READ_PROBLEM], problems)]
    elif any(problems):
        frame[READ_PROBLEM] = problems
    frame.index.name = "ligne"
    return frame.astype(str)
