"""Hostile files built byte by byte (zip bombs of sheet XML, huge JSON...), for the tests
of the readers and for ``benchmarks/import_read.py``. Every builder returns ``bytes`` no
larger than the importer's upload limit; the sheet XML is streamed into the archive so
that building a 500 MB sheet does not hold it in memory."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = REL_NS + "/worksheet"
CHARTSHEET_TYPE = REL_NS + "/chartsheet"

HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Nom du lieu</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>Commune</t></is></c></row>')


def _content_types(sheets: list[tuple[str, str, str]], shared: bool) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
             'package.relationships+xml"/><Default Extension="xml" '
             'ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
             'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>']
    for _, kind, path in sheets:
        content = ("application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
                   if kind == "worksheet" else
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml")
        parts.append(f'<Override PartName="/{path}" ContentType="{content}"/>')
    if shared:
        parts.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    parts.append("</Types>")
    return "".join(parts)


def xlsx_from_parts(sheets: list[tuple[str, str, Iterable[bytes] | bytes]], *,
                    shared_strings: Iterable[bytes] | bytes | None = None,
                    level: int = 9) -> bytes:
    """A workbook whose sheets are ``(name, "worksheet" | "chartsheet", xml)``; ``xml`` is
    bytes or an iterable of byte chunks (streamed into the archive)."""
    listed = [(name, kind, f"xl/{kind}s/sheet{i}.xml")
              for i, (name, kind, _) in enumerate(sheets, start=1)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", _content_types(listed, shared_strings is not None))
        archive.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        entries = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                          for i, (name, _, _) in enumerate(listed, start=1))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets>{entries}</sheets></workbook>'))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{REL_NS}/{kind}" '
            f'Target="{path.removeprefix("xl/")}"/>'
            for i, (_, kind, path) in enumerate(listed, start=1))
        if shared_strings is not None:
            rels += (f'<Relationship Id="rId{len(listed) + 1}" Type="{REL_NS}/sharedStrings" '
                     'Target="sharedStrings.xml"/>')
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f"{rels}</Relationships>"))
        for (_, _, path), (_, _, xml) in zip(listed, sheets, strict=True):
            _write_streamed(archive, path, xml)
        if shared_strings is not None:
            _write_streamed(archive, "xl/sharedStrings.xml", shared_strings)
    return buffer.getvalue()


def _write_streamed(archive: zipfile.ZipFile, path: str, xml: Iterable[bytes] | bytes):
    with archive.open(path, "w", force_zip64=True) as member:
        if isinstance(xml, bytes):
            member.write(xml)
        else:
            for chunk in xml:
                member.write(chunk)


def worksheet(rows: Iterable[bytes] | bytes, *, dimension: str | None = None) -> Iterable[bytes]:
    """Sheet XML around ``rows`` (bytes or chunks of ``<row>`` elements)."""
    yield (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'
           ).encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    if isinstance(rows, bytes):
        yield rows
    else:
        yield from rows
    yield b"</sheetData></worksheet>"


def _repeated(unit: bytes, count: int, block: int = 10_000) -> Iterable[bytes]:
    chunk = unit * block
    for _ in range(count // block):
        yield chunk
    yield unit * (count % block)


def _numbered_rows(template: str, first: int, count: int, block: int = 20_000):
    for start in range(first, first + count, block):
        yield "".join(template.format(n=n)
                      for n in range(start, min(start + block, first + count))).encode()


def _sheet(rows, dimension=None, shared=None) -> bytes:
    return xlsx_from_parts([("Lieux", "worksheet", worksheet(rows, dimension=dimension))],
                           shared_strings=shared)


# --- the hostile workbooks ---------------------------------------------------------------

def xlsx_declared_huge_dimension() -> bytes:
    """Two real rows, a declared size of the whole grid (A1:XFD1048576)."""
    return _sheet(HEADER_ROW.encode() + b'<row r="2"><c r="A2" t="inlineStr"><is><t>La '
                  b'Forge</t></is></c><c r="B2" t="inlineStr"><is><t>Foix</t></is></c></row>',
                  dimension="A1:XFD1048576")


def xlsx_far_corner_cell() -> bytes:
    """A header, one row, and one cell in the last row and last column of the grid."""
    return _sheet(HEADER_ROW.encode() + b'<row r="2"><c r="A2" t="inlineStr"><is><t>La '
                  b'Forge</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c>'
                  b"</row>", dimension="A1:XFD1048576")


def xlsx_million_numbered_rows(count: int = 2_000_000) -> bytes:
    """``count`` filled rows, each with its own number (far beyond the row limit)."""
    return _sheet(itertools_chain(HEADER_ROW.encode(), _numbered_rows(
        '<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>', 2, count)))


def xlsx_identical_rows(count: int = 20_000_000) -> bytes:
    """``count`` identical rows without row numbers: compresses to almost nothing."""
    unit = b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>1</v></c></row>'
    return _sheet(itertools_chain(HEADER_ROW.encode(), _repeated(unit, count)))


def xlsx_empty_rows(count: int = 20_000_000) -> bytes:
    """A header, then ``count`` empty rows (a formatted but empty sheet)."""
    return _sheet(itertools_chain(HEADER_ROW.encode(), _repeated(b'<row s="1"/>', count)))


def xlsx_wide_rows(rows: int = 5_000, columns: int = 16_384) -> bytes:
    """``rows`` rows of ``columns`` cells each (the whole width of the grid)."""
    unit = b"<c><v>1</v></c>" * columns
    return _sheet(itertools_chain(HEADER_ROW.encode(), _repeated(b"<row>" + unit + b"</row>",
                                                                 rows, block=10)))


def xlsx_rows_reaching_last_column(rows: int = 200_000) -> bytes:
    """Every row has a cell in A and one in XFD (a reader padding rows to the widest
    one builds 16,384 cells per row)."""
    return _sheet(itertools_chain(HEADER_ROW.encode(), _numbered_rows(
        '<row r="{n}"><c r="A{n}"><v>1</v></c><c r="XFD{n}"><v>1</v></c></row>', 2, rows)))


def xlsx_huge_shared_strings(count: int = 5_000_000) -> bytes:
    """A small sheet and a shared-strings table of ``count`` strings."""
    strings = itertools_chain(
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{count}" '
        f'uniqueCount="{count}">'.encode(), _repeated(b"<si><t>texte</t></si>", count),
        b"</sst>")
    rows = HEADER_ROW.encode() + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return _sheet(rows, shared=strings)


def xlsx_huge_cell(size: int = 200_000_000) -> bytes:
    """One cell holding ``size`` characters."""
    return _sheet(itertools_chain(HEADER_ROW.encode(), b'<row r="2"><c r="A2" t="inlineStr">'
                                  b"<is><t>", _repeated(b"x", size, block=1_000_000),
                                  b"</t></is></c></row>"))


def itertools_chain(*parts):
    for part in parts:
        if isinstance(part, bytes):
            yield part
        else:
            yield from part


def xlsx_with_cells(cells: str, header: str = HEADER_ROW) -> bytes:
    """A workbook whose sheet XML is ``header`` then the row XML ``cells`` as given."""
    return _sheet((header + cells).encode())


def xlsx_chart_sheet_first() -> bytes:
    """A chart sheet ("Graphique1") before the worksheet holding the data."""
    chart = (f'<?xml version="1.0" encoding="UTF-8"?><chartsheet xmlns="{MAIN_NS}">'
             "<sheetViews><sheetView workbookViewId=\"0\"/></sheetViews></chartsheet>").encode()
    rows = HEADER_ROW + ('<row r="2"><c r="A2" t="inlineStr"><is><t>La Forge</t></is></c>'
                         '<c r="B2" t="inlineStr"><is><t>Foix</t></is></c></row>')
    return xlsx_from_parts([("Graphique1", "chartsheet", chart),
                            ("Lieux", "worksheet", worksheet(rows.encode()))])


# --- text files --------------------------------------------------------------------------

def csv_many_rows(size: int) -> bytes:
    return b"Nom;Commune\n" + b"a;b\n" * ((size - 12) // 4)


def csv_many_columns(size: int) -> bytes:
    return b"a;" * (size // 2 - 10) + b"\nx\n"


def csv_one_huge_cell(size: int) -> bytes:
    return b"Nom;Commune\n" + b"x" * (size - 20) + b";Foix\n"


def csv_blank_lines(size: int) -> bytes:
    return b"Nom;Commune\na;b\n" + b";\n" * ((size - 20) // 2)


def json_deeply_nested(size: int) -> bytes:
    depth = size // 2 - 10
    return b"[" * depth + b"]" * depth


def geojson_nested_property(depth: int = 100_000) -> bytes:
    value = "[" * depth + "]" * depth
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
            f'"properties": {{"nom": {value}}}}}]}}').encode()


def geojson_many_features(size: int) -> bytes:
    feature = b'{"type":"Feature","geometry":null,"properties":{"nom":"a"}},'
    count = (size - 60) // len(feature)
    return (b'{"type":"FeatureCollection","features":[' + feature * count
            + b'{"type":"Feature","geometry":null,"properties":{}}]}')


def geojson_many_properties(size: int) -> bytes:
    count = (size - 100) // 14
    properties = ",".join(f'"p{i:07d}":1' for i in range(count))
    return (b'{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,'
            b'"properties":{' + properties.encode() + b"}}]}")


def geojson_string_properties() -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.6, 43.0]},
         "properties": "nom=La Forge"}]}).encode()


# --- files just under the limits (the worst that is read rather than refused) -------------

def xlsx_dense_table(rows: int = 50_000, columns: int = 40) -> bytes:
    """A real-looking table at the row and cell limits: shared strings, styles, numbers."""
    letters = [_letters(i) for i in range(1, columns + 1)]
    unique = 5_000
    strings = itertools_chain(
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode(),
        "".join(f"<si><t>Valeur numéro {i}</t></si>" for i in range(unique)).encode(),
        b"</sst>")

    def body():
        header = "".join(f'<c r="{c}1" t="inlineStr"><is><t>Colonne {c}</t></is></c>'
                         for c in letters)
        yield f'<row r="1">{header}</row>'.encode()
        for start in range(2, rows + 2, 1000):
            chunk = []
            for n in range(start, min(start + 1000, rows + 2)):
                cells = "".join(
                    f'<c r="{c}{n}" s="1" t="s"><v>{(n * 7 + k) % unique}</v></c>' if k % 2
                    else f'<c r="{c}{n}" s="1"><v>{n * 0.5 + k:.15g}</v></c>'
                    for k, c in enumerate(letters))
                chunk.append(f'<row r="{n}" spans="1:{columns}">{cells}</row>')
            yield "".join(chunk).encode()
    return _sheet(body(), shared=strings)


def _letters(index: int) -> str:
    text = ""
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


def xlsx_filling_the_xml_limit(unit: bytes, limit: int) -> bytes:
    """A header then ``unit`` repeated to just under ``limit`` bytes of sheet XML."""
    count = (limit - 1000) // len(unit)
    return _sheet(itertools_chain(HEADER_ROW.encode(), _repeated(unit, count)))


def xlsx_shared_strings_at_limit(limit: int) -> bytes:
    unit = b"<si><t>texte</t></si>"
    strings = itertools_chain(
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode(),
        _repeated(unit, (limit - 10_000) // len(unit)), b"</sst>")
    rows = HEADER_ROW.encode() + b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return _sheet(rows, shared=strings)


def csv_wide_table(size: int, columns: int = 300) -> bytes:
    """A header of ``columns`` names, then rows with only their last cell filled."""
    header = ";".join(f"c{i}" for i in range(columns)).encode() + b"\n"
    row = b";" * (columns - 1) + b"x\n"
    return header + row * ((size - len(header)) // len(row))


def csv_real_table(size: int, columns: int = 20) -> bytes:
    """A French export: ``columns`` filled cells a row, up to ``size`` bytes."""
    header = ";".join(f"Colonne {i}" for i in range(columns)).encode() + b"\n"
    row = ";".join(f"valeur {i},5" for i in range(columns)).encode() + b"\n"
    return header + row * ((size - len(header)) // len(row))


def geojson_sparse_properties(features: int = 50_000, keys: int = 300) -> bytes:
    """``features`` features with one property each, ``keys`` different ones in all."""
    items = ",".join(f'{{"type":"Feature","geometry":null,"properties":{{"p{i % keys}":1}}}}'
                     for i in range(features))
    return ('{"type":"FeatureCollection","features":[' + items + "]}").encode()
