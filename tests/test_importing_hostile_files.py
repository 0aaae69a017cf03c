"""Hostile uploads (issue 10): each is refused with a French reason, or read, without the
reader ever holding more than the limits allow. Figures: benchmarks/import_read.py."""

from __future__ import annotations

import json
import tomllib
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from observatory.importing import ImportFileError, read_table, read_warnings, readers, sheet_names
from observatory.importing.readers import READ_PROBLEM
from tests import hostile_files as h

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def decompressed(monkeypatch):
    """Counts the bytes of workbook XML the reader decompresses."""
    seen = {"bytes": 0}
    original = readers._stream

    def counting(archive, info):
        for chunk in original(archive, info):
            seen["bytes"] += len(chunk)
            yield chunk

    monkeypatch.setattr(readers, "_stream", counting)
    return seen


# --- Excel: sizes checked before parsing -------------------------------------------------

def test_a_declared_dimension_of_the_whole_grid_is_not_trusted():
    table = read_table(h.xlsx_declared_huge_dimension(), "lieux.xlsx")
    assert table.shape == (1, 2)
    assert table.loc[2].tolist() == ["La Forge", "Foix"]


def test_a_cell_in_the_last_row_and_column_is_one_row_with_a_problem():
    table = read_table(h.xlsx_far_corner_cell(), "lieux.xlsx")
    assert list(table.index) == [2, 1048576]
    assert list(table.columns) == ["Nom du lieu", "Commune", READ_PROBLEM]
    assert table.loc[1048576, READ_PROBLEM].startswith("1 cellule(s) au-delà")


def test_huge_uncompressed_sheet_is_refused_before_it_is_decompressed(monkeypatch,
                                                                      decompressed):
    monkeypatch.setattr(readers, "MAX_XML_BYTES", 1024 * 1024)
    data = h.xlsx_identical_rows(40_000)  # 2.4 MiB of sheet XML in 20 KB
    assert len(data) < 100_000
    with pytest.raises(ImportFileError, match="trop lourd une fois décompressé : sa partie "
                                              "« xl/worksheets/sheet1.xml » pèse 2,4 Mo"):
        read_table(data, "lieux.xlsx")
    assert decompressed["bytes"] == 0


def test_huge_shared_strings_table_is_refused_by_its_declared_size(monkeypatch, decompressed):
    monkeypatch.setattr(readers, "MAX_XML_BYTES", 1024 * 1024)
    with pytest.raises(ImportFileError, match="xl/sharedStrings.xml"):
        read_table(h.xlsx_huge_shared_strings(100_000), "lieux.xlsx")
    assert decompressed["bytes"] == 0


def test_a_lying_declared_size_does_not_let_more_bytes_through(decompressed):
    """The central directory says 2 KB; the member inflates to 3 MB: 2 KB are read."""
    data = bytearray(h.xlsx_identical_rows(40_000))
    archive = zipfile.ZipFile(BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    for record in _central_records(data):
        name_length = int.from_bytes(data[record + 28:record + 30], "little")
        if data[record + 46:record + 46 + name_length] == info.filename.encode():
            _set_sizes(data, record, name_length, 2048)
    with pytest.raises(ImportFileError):
        read_table(bytes(data), "lieux.xlsx")  # an XML cut short, or a CRC error
    assert decompressed["bytes"] <= 2048


def _central_records(data: bytearray):
    at = data.find(b"PK\x01\x02")
    while at != -1:
        yield at
        at = data.find(b"PK\x01\x02", at + 4)


def _set_sizes(data: bytearray, record: int, name_length: int, size: int) -> None:
    extra_length = int.from_bytes(data[record + 30:record + 32], "little")
    extra = record + 46 + name_length
    if int.from_bytes(data[record + 24:record + 28], "little") == 0xFFFFFFFF:
        end = extra + extra_length
        while extra < end:  # zip64 field: uncompressed size first
            tag = int.from_bytes(data[extra:extra + 2], "little")
            length = int.from_bytes(data[extra + 2:extra + 4], "little")
            if tag == 1:
                data[extra + 4:extra + 12] = size.to_bytes(8, "little")
                return
            extra += 4 + length
    data[record + 24:record + 28] = size.to_bytes(4, "little")


def test_millions_of_empty_rows_are_refused_by_their_tag_count(monkeypatch):
    monkeypatch.setattr(readers, "MAX_XML_TAGS", 100_000)
    with pytest.raises(ImportFileError, match="trop d'éléments : plus de 100\u202f000 balises"):
        read_table(h.xlsx_empty_rows(200_000), "lieux.xlsx")


def test_formatted_empty_cells_with_their_place_cost_nothing(monkeypatch):
    """Excel writes `<c r="B7" s="3"/>` for each formatted empty cell: they are dropped
    before the XML parser and do not count against the tag budget."""
    monkeypatch.setattr(readers, "MAX_XML_TAGS", 5_000)  # the rows' 4,000 tags fit
    empty = "".join(f'<row r="{n}">' + "".join(f'<c r="{c}{n}" s="3"/>' for c in "CDEFGH")
                    + "</row>" for n in range(3, 2000))
    data = h.xlsx_with_cells('<row r="2"><c r="A2" t="inlineStr"><is><t>La Forge</t></is>'
                             '</c></row>' + empty)
    assert read_table(data, "lieux.xlsx").shape == (1, 2)


def test_reading_stops_at_the_row_limit(decompressed):
    data = h.xlsx_million_numbered_rows(60_000)
    size = zipfile.ZipFile(BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size
    with pytest.raises(ImportFileError, match="plus de 1\u202f000 lignes : la limite est de "
                                              "1\u202f000"):
        read_table(data, "lieux.xlsx", max_rows=1_000)
    assert decompressed["bytes"] == 1024 * 1024 < size  # one chunk of three


def test_rows_reaching_the_last_column_keep_the_table_narrow():
    table = read_table(h.xlsx_rows_reaching_last_column(50), "lieux.xlsx")
    assert list(table.columns) == ["Nom du lieu", "Commune", READ_PROBLEM]
    assert table.loc[2, "Nom du lieu"] == "1"
    assert table.loc[2, READ_PROBLEM].startswith("1 cellule(s) au-delà")


def test_a_header_wider_than_the_column_limit_is_refused():
    cells = "".join(f'<c r="{h._letters(i)}1" t="inlineStr"><is><t>c{i}</t></is></c>'
                    for i in range(1, 400))
    data = h.xlsx_with_cells('<row r="2"><c r="A2"><v>1</v></c></row>',
                             header=f'<row r="1">{cells}</row>')
    with pytest.raises(ImportFileError, match="ligne 1\\) compte plus de 300 colonnes"):
        read_table(data, "lieux.xlsx")


def test_the_filled_cell_limit_bounds_the_table(monkeypatch):
    monkeypatch.setattr(readers, "MAX_CELLS", 500)
    with pytest.raises(ImportFileError, match="plus de 500 cellules remplies"):
        read_table(h.xlsx_identical_rows(1_000), "lieux.xlsx")


# --- Excel: values and sheets that raised tracebacks --------------------------------------

def test_error_values_with_and_without_their_type_are_a_problem_of_their_row():
    data = h.xlsx_with_cells(
        '<row r="2"><c r="A2" t="e"><v>#N/A</v></c><c r="B2" t="inlineStr"><is><t>Foix</t>'
        '</is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>La Forge</t></is></c>'
        '<c r="B3"><v>#DIV/0!</v></c></row>')
    table = read_table(data, "lieux.xlsx")
    assert table.loc[2, "Nom du lieu"] == "#N/A"
    assert table.loc[2, READ_PROBLEM].startswith("cellule A2 : erreur de formule Excel #N/A")
    assert table.loc[3, "Commune"] == "#DIV/0!"
    assert table.loc[3, READ_PROBLEM].startswith("cellule B3 : erreur de formule Excel "
                                                 "#DIV/0!")


def test_text_in_a_number_cell_is_kept_as_text():
    data = h.xlsx_with_cells('<row r="2"><c r="A2"><v>La Forge</v></c></row>')
    assert read_table(data, "lieux.xlsx").loc[2, "Nom du lieu"] == "La Forge"


def test_a_chart_sheet_first_is_skipped_and_said():
    data = h.xlsx_chart_sheet_first()
    assert sheet_names(data, "lieux.xlsx") == ["Lieux"]
    table = read_table(data, "lieux.xlsx")
    assert table.loc[2].tolist() == ["La Forge", "Foix"]
    assert any("« Graphique1 », est un graphique" in w for w in read_warnings(table))
    assert read_table(data, "lieux.xlsx", sheet=0).loc[2, "Commune"] == "Foix"
    with pytest.raises(ImportFileError, match="« Graphique1 ».*est un graphique, pas un "
                                              "tableau"):
        read_table(data, "lieux.xlsx", sheet="Graphique1")


def test_a_workbook_of_charts_only_is_refused():
    chart = b'<chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    data = h.xlsx_from_parts([("Graphique1", "chartsheet", chart)])
    with pytest.raises(ImportFileError, match="aucune feuille de cellules"):
        read_table(data, "lieux.xlsx")


def test_shared_strings_rich_text_and_phonetic_runs():
    shared = (f'<sst xmlns="{h.MAIN_NS}"><si><t>Commune</t></si><si><r><t>La </t></r><r>'
              '<t>Forge</t></r><rPh><t>ラ</t></rPh></si></sst>').encode()
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Nom du lieu</t></is></c>'
            '<c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c>'
            '<c r="B2" t="s"><v>7</v></c></row>').encode()
    data = h.xlsx_from_parts([("Lieux", "worksheet", h.worksheet(rows))],
                             shared_strings=shared)
    table = read_table(data, "lieux.xlsx")
    assert table.loc[2, "Nom du lieu"] == "La Forge"
    assert table.loc[2, READ_PROBLEM] == "cellule B2 : texte partagé introuvable (classeur abîmé)"


def test_a_damaged_archive_is_refused_in_french():
    data = h.xlsx_declared_huge_dimension()
    with pytest.raises(ImportFileError, match="illisible ou abîmé"):
        read_table(data[: len(data) // 2] + b"\x00" * 100, "lieux.xlsx")


# --- text files of the upload limit -------------------------------------------------------

LIMIT = readers.DEFAULT_MAX_BYTES


def test_csv_of_the_upload_limit_stops_at_the_row_limit():
    with pytest.raises(ImportFileError, match="plus de 50\u202f000 lignes"):
        read_table(h.csv_many_rows(LIMIT), "lieux.csv")


def test_csv_header_of_millions_of_columns_is_refused():
    with pytest.raises(ImportFileError, match="plus de 300 colonnes"):
        read_table(h.csv_many_columns(LIMIT), "lieux.csv")


@pytest.mark.parametrize("size", [40_000, LIMIT])
@pytest.mark.parametrize("csv_limit", [131_072, 2**31 - 1])  # frictionless raises it
def test_csv_cell_longer_than_excel_allows_is_said_in_french(size, csv_limit):
    import csv

    previous = csv.field_size_limit(csv_limit)
    try:
        with pytest.raises(ImportFileError, match="une cellule de la ligne 2 dépasse "
                                                  "32\u202f767 caractères"):
            read_table(h.csv_one_huge_cell(size), "lieux.csv")
    finally:
        csv.field_size_limit(previous)


def test_deeply_nested_json_is_refused_in_french():
    with pytest.raises(ImportFileError, match="imbriqués trop profondément"):
        read_table(h.json_deeply_nested(LIMIT), "lieux.json")
    with pytest.raises(ImportFileError, match="imbriqués trop profondément"):
        read_table(h.geojson_nested_property(), "lieux.geojson")


def test_geojson_whose_properties_is_a_string_is_refused_in_french():
    with pytest.raises(ImportFileError, match="les « properties » de l'entité n° 1 sont un "
                                              "texte"):
        read_table(h.geojson_string_properties(), "lieux.geojson")


def test_geojson_features_beyond_the_row_limit_are_refused_before_building_rows():
    with pytest.raises(ImportFileError, match="174\u202f762 lignes : la limite est de 50\u202f000"):
        read_table(h.geojson_many_features(LIMIT), "lieux.geojson")


def test_geojson_with_thousands_of_properties_is_refused():
    with pytest.raises(ImportFileError, match="plus de 300 attributs"):
        read_table(h.geojson_many_properties(200_000), "lieux.geojson")


def test_geojson_non_numeric_geometry_type_does_not_break_the_message():
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": ["x"] * 3}, "properties": {"nom": "A"}}]}
    table = read_table(json.dumps(document).encode(), "lieux.geojson")
    assert table.loc[1, READ_PROBLEM] == "géométrie de type inconnu : un point est attendu"


# --- the upload limit ---------------------------------------------------------------------

def test_streamlit_upload_limit_is_what_the_importer_accepts():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == readers.MAX_UPLOAD_MB
    assert readers.MAX_UPLOAD_MB * 1024 * 1024 == readers.DEFAULT_MAX_BYTES
    assert readers.SIZE_LIMIT_TEXT.startswith(f"Taille maximale : {readers.MAX_UPLOAD_MB} Mo, ")
    assert "50\u202f000 lignes" in readers.SIZE_LIMIT_TEXT


def test_rows_times_columns_are_bounded_even_when_the_cells_are_empty(monkeypatch):
    monkeypatch.setattr(readers, "MAX_SLOTS", 10_000)
    with pytest.raises(ImportFileError, match="ferait 3\u202f479 lignes sur 300 colonnes, plus "
                                              "de 10\u202f000 cases"):
        read_table(h.csv_wide_table(1024 * 1024), "lieux.csv")
    with pytest.raises(ImportFileError, match="ferait 50\u202f000 lignes sur 303 colonnes"):
        read_table(h.geojson_sparse_properties(), "lieux.geojson")


def test_a_real_csv_of_the_upload_limit_is_read_whole():
    table = read_table(h.csv_real_table(LIMIT), "inventaire.csv")
    assert table.shape == (45_589, 20)
    assert table.loc[45_590, "Colonne 19"] == "valeur 19,5"


def test_long_integers_dates_and_booleans_read_as_the_analyst_typed_them():
    data = h.xlsx_with_cells('<row r="2"><c r="A2"><v>12345678901234567</v></c>'
                             '<c r="B2" t="b"><v>1</v></c></row>'
                             '<row r="3"><c r="A3"><v>0.30000000000000004</v></c>'
                             '<c r="B3"><v>1e3</v></c></row>')
    table = read_table(data, "lieux.xlsx")
    assert table.loc[2].tolist() == ["12345678901234567", "oui"]
    assert table.loc[3].tolist() == ["0.3", "1000"]


def test_a_sheet_written_with_a_namespace_prefix_is_read():
    sheet = (f'<x:worksheet xmlns:x="{h.MAIN_NS}"><x:sheetData><x:row r="1"><x:c r="A1" '
             't="inlineStr"><x:is><x:t>Nom du lieu</x:t></x:is></x:c></x:row><x:row r="2">'
             '<x:c r="A2" t="inlineStr"><x:is><x:t>La Forge</x:t></x:is></x:c></x:row>'
             "</x:sheetData></x:worksheet>").encode()
    data = h.xlsx_from_parts([("Lieux", "worksheet", sheet)])
    assert read_table(data, "lieux.xlsx").loc[2, "Nom du lieu"] == "La Forge"
