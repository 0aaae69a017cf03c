"""Reading uploaded files: CSV as Excel writes them, .xlsx, GeoJSON, and the files to refuse."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from observatory.importing import ImportFileError, read_table, read_warnings, sheet_names
from observatory.importing.readers import READ_PROBLEM, sniff_delimiter

FIXTURES = Path(__file__).parent / "fixtures" / "import"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def xlsx(rows_by_sheet: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in rows_by_sheet.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- CSV ---------------------------------------------------------------------------------

def test_csv_rows_are_strings_indexed_by_the_row_number_the_user_sees():
    table = read_table(b"Nom,Commune\nLa Forge,Pamiers\nLe Tiers,Foix\n", "lieux.csv")
    assert list(table.columns) == ["Nom", "Commune"]
    assert list(table.index) == [2, 3]
    assert table.loc[3, "Commune"] == "Foix"


def test_windows_1252_csv_with_semicolons_and_decimal_commas_as_excel_writes_it():
    table = read_table((FIXTURES / "inventaire_excel_fr.csv").read_bytes(), "inventaire.csv")
    assert "Année d'ouverture" in table.columns
    assert table.loc[2, "Nom du lieu"] == "Café de l'Écluse"
    assert table.loc[2, "Latitude"] == "43,08667"  # stays text; validation reads the comma


def test_utf8_with_bom_and_tab_separator():
    data = "\ufeffNom\tCommune\nÉtabli\tFoix\n".encode("utf-8")
    table = read_table(data, "lieux.tsv")
    assert list(table.columns) == ["Nom", "Commune"]
    assert table.loc[2, "Nom"] == "Établi"


def test_utf16_text_export_of_excel_is_read():
    data = "Nom\tCommune\r\nÉtabli\tFoix\r\n".encode("utf-16")
    assert read_table(data, "lieux.txt").loc[2, "Nom"] == "Établi"


def test_excel_sep_hint_line_is_honoured_and_not_counted_as_a_row():
    table = read_table(b"sep=;\r\nNom;Note\r\nLa Forge;3,5\r\n", "lieux.csv")
    assert list(table.columns) == ["Nom", "Note"]
    assert list(table.index) == [2]
    assert table.loc[2, "Note"] == "3,5"


def test_delimiter_sniffing_prefers_regular_columns_over_decimal_commas():
    assert sniff_delimiter("Nom;Lat;Lon\nA;43,1;1,6\nB;43,2;1,7\n") == ";"
    assert sniff_delimiter('Nom,Lat\n"A; B",43.1\n') == ","


def test_blank_lines_keep_later_row_numbers_and_quoted_newlines_stay_in_one_row():
    data = b'Nom,Note\n"Ligne\nsur deux",3\n\n,\nLe Tiers,2\n'
    table = read_table(data, "lieux.csv")
    assert list(table.index) == [2, 5]
    assert table.loc[2, "Nom"] == "Ligne\nsur deux"


def test_duplicate_and_empty_headers_get_distinct_names():
    table = read_table(b"Nom,Nom,,Commune\nA,B,C,D\n", "lieux.csv")
    assert list(table.columns) == ["Nom", "Nom (2)", "Colonne 3", "Commune"]


def test_cells_beyond_the_last_header_are_a_row_problem():
    table = read_table(b"Nom;Commune\nA;Foix;en trop\nB;Foix;\n", "lieux.csv")
    assert "au-delà de la dernière colonne" in table.loc[2, READ_PROBLEM]
    assert table.loc[3, READ_PROBLEM] == ""


def test_control_characters_and_no_break_spaces_are_cleaned():
    table = read_table("Nom\n\u00a0La\x1f Forge\u200b \n".encode(), "lieux.csv")
    assert table.loc[2, "Nom"] == "La Forge"


# --- Excel -------------------------------------------------------------------------------

def test_xlsx_first_sheet_with_typed_cells_as_the_analyst_typed_them():
    from datetime import datetime

    data = xlsx({"Lieux": [["Nom du lieu", "Code INSEE", "Année", "Note", "Date", "Oui"],
                           ["La Forge", 9225, 2012.0, 3.5, datetime(2025, 3, 12), True]]})
    table = read_table(data, "inventaire.xlsx")
    assert table.loc[2].tolist() == ["La Forge", "9225", "2012", "3.5", "2025-03-12", "oui"]


def test_xlsx_sheet_chosen_by_name_or_position_and_listed():
    data = xlsx({"Notes": [["x"], ["1"]], "Lieux": [["Nom"], ["La Forge"]]})
    assert sheet_names(data, "f.xlsx") == ["Notes", "Lieux"]
    assert read_table(data, "f.xlsx", sheet="Lieux").loc[2, "Nom"] == "La Forge"
    assert read_table(data, "f.xlsx", sheet=1).loc[2, "Nom"] == "La Forge"
    with pytest.raises(ImportFileError, match="Feuille « Bilan » introuvable"):
        read_table(data, "f.xlsx", sheet="Bilan")


def test_xlsx_header_below_empty_rows_keeps_sheet_row_numbers():
    data = xlsx({"Lieux": [[], [], ["Nom"], ["La Forge"]]})
    assert list(read_table(data, "f.xlsx").index) == [4]


# --- GeoJSON -----------------------------------------------------------------------------

def test_geojson_points_become_longitude_and_latitude_columns():
    table = read_table((FIXTURES / "lieux_points.geojson").read_bytes(), "lieux.geojson")
    assert table.loc[1, "longitude"] == "1.60409"
    assert table.loc[1, "latitude"] == "42.97068"
    assert table.loc[1, "thematiques"] == "fabrication|numérique"
    assert table.loc[3, "longitude"] == ""  # no geometry: the commune's centre later
    assert list(table.index) == [1, 2, 3]  # GeoJSON rows are feature numbers


def test_geojson_polygon_is_an_error_for_its_row_only():
    table = read_table((FIXTURES / "lieux_polygone.geojson").read_bytes(), "lieux.geojson")
    assert table.loc[1, READ_PROBLEM] == ""
    assert table.loc[2, READ_PROBLEM] == "géométrie de type Polygon : un point est attendu"


def test_geojson_in_another_crs_is_refused():
    document = {"type": "FeatureCollection", "features": [],
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}}
    with pytest.raises(ImportFileError, match="WGS84"):
        read_table(json.dumps(document).encode(), "lieux.geojson")


def test_json_that_is_not_geojson_is_refused():
    with pytest.raises(ImportFileError, match="FeatureCollection"):
        read_table(b'{"lieux": []}', "lieux.json")
    with pytest.raises(ImportFileError, match="JSON invalide, ligne 1"):
        read_table(b"Nom;Commune\nA;B\n", "lieux.geojson")


# --- files to refuse ---------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b";;;\r\n;;;\r\n"])
def test_empty_file_is_refused(data):
    with pytest.raises(ImportFileError, match="vide"):
        read_table(data, "lieux.csv")


def test_header_without_rows_is_refused():
    with pytest.raises(ImportFileError, match="aucune ligne de données"):
        read_table(b"Nom;Commune\r\n", "lieux.csv")


def test_png_renamed_csv_is_refused_saying_what_it_is():
    with pytest.raises(ImportFileError, match="n'est pas un fichier CSV : son contenu est une "
                                              "image PNG"):
        read_table(PNG, "lieux.csv")


def test_csv_renamed_xlsx_is_refused_with_the_fix():
    with pytest.raises(ImportFileError, match="n'est pas un classeur Excel.*Renommez-le en .csv"):
        read_table(b"Nom;Commune\nLa Forge;Pamiers\n", "lieux.xlsx")


def test_zip_that_is_not_a_workbook_and_old_xls_are_refused():
    buffer = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("document.xml", "<x/>")
    with pytest.raises(ImportFileError, match="pas un classeur Excel"):
        read_table(buffer.getvalue(), "lieux.xlsx")
    with pytest.raises(ImportFileError, match=r"Excel 97-2003 \(.xls\)"):
        read_table(b"\xd0\xcf\x11\xe0rest", "lieux.xls")


def test_oversized_file_is_refused_with_its_size_and_the_limit():
    data = b"Nom\n" + b"x" * 2_000_000
    with pytest.raises(ImportFileError, match="pèse 1,9 Mo : la limite est de 1 Mo"):
        read_table(data, "lieux.csv", max_bytes=1024 * 1024)


def test_too_many_rows_are_refused():
    with pytest.raises(ImportFileError, match="3 lignes : la limite est de 2"):
        read_table(b"Nom\na\nb\nc\n", "lieux.csv", max_rows=2)


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused_with_their_line():
    data = b"Nom;Commune\nLa Forge;Pamiers\nCaf\x81;Foix\n"
    with pytest.raises(ImportFileError, match=r"octets illisibles \(ligne 3, octet 0x81\)"):
        read_table(data, "lieux.csv")


def test_file_mixing_utf8_and_windows_1252_is_refused():
    data = "Nom\nÉcluse\n".encode() + "Forêt\n".encode("cp1252")
    with pytest.raises(ImportFileError, match="mélange deux encodages"):
        read_table(data, "lieux.csv")


def test_binary_bytes_in_a_text_file_are_refused():
    with pytest.raises(ImportFileError, match="octets binaires"):
        read_table(b"Nom\x00\x00\x01\x02", "lieux.csv")


@pytest.mark.parametrize("name, message", [
    ("lieux.pdf", r"non pris en charge \(.pdf\)"), ("lieux", "sans extension"),
    ("lieux.ods", "OpenDocument")])
def test_unsupported_extensions_are_refused(name, message):
    with pytest.raises(ImportFileError, match=message):
        read_table(b"Nom\nA\n", name)


# --- encodings that read the wrong letters, and where the header is (issue 10) -----------

def test_iso_8859_15_is_recognised_by_its_oe_and_euro_and_said():
    data = "Nom;Commune;Tarif\nCœur de village;Foix;5 €\nŒuvre commune;Pamiers;\n".encode(
        "iso-8859-15")
    table = read_table(data, "lieux.csv")
    assert table.loc[2, "Nom"] == "Cœur de village"
    assert table.loc[2, "Tarif"] == "5 €"
    assert table.loc[3, "Nom"] == "Œuvre commune"
    [warning] = read_warnings(table)
    assert "lu en ISO-8859-15 (Latin-9) et non en Windows-1252" in warning
    assert "« œ » et non « ½ »" in warning


def test_windows_1252_bytes_80_to_9f_settle_it_without_a_warning():
    data = "Nom;Commune\nC\u0153ur d\u2019Ariège;Foix\n".encode("cp1252")
    table = read_table(data, "lieux.csv")
    assert table.loc[2, "Nom"] == "Cœur d’Ariège"
    assert read_warnings(table) == []


def test_a_fraction_next_to_a_digit_stays_windows_1252_with_a_warning():
    table = read_table("Nom;Durée\nAtelier;1½ h\n".encode("cp1252"), "lieux.csv")
    assert table.loc[2, "Durée"] == "1½ h"
    [warning] = read_warnings(table)
    assert "lu en Windows-1252" in warning and "« ½ »" in warning


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_and_said(encoding):
    table = read_table("Nom\tCommune\r\nÉtabli\tFoix\r\n".encode(encoding), "lieux.txt")
    assert table.loc[2, "Nom"] == "Établi"
    assert "UTF-16" in read_warnings(table)[0]


def test_zero_bytes_that_are_not_utf16_get_a_hint():
    with pytest.raises(ImportFileError, match="octets binaires.*CSV UTF-8"):
        read_table(b"Nom\x00\x00\x01\x02\x03\x04\x05\x06", "lieux.csv")


def test_a_title_row_above_the_header_is_skipped_keeping_row_numbers():
    data = ("Inventaire des lieux – PETR 2026;;\n;;\nNom du lieu;Commune;Typologie\n"
            "La Forge;Foix;Fablab\n").encode()
    table = read_table(data, "lieux.csv")
    assert list(table.columns) == ["Nom du lieu", "Commune", "Typologie"]
    assert list(table.index) == [4]
    [warning] = read_warnings(table)
    assert warning.startswith("Les noms de colonnes sont lus sur la ligne 3 ; la ligne "
                              "au-dessus (« Inventaire des lieux – PETR 2026 ») est ignorée")


def test_a_title_row_without_separators_does_not_fool_the_delimiter():
    data = ("Inventaire des lieux – PETR 2026\nNom du lieu;Commune\nLa Forge;Foix\n"
            "Le Tiers, atelier;Pamiers\n").encode()
    table = read_table(data, "lieux.csv")
    assert list(table.columns) == ["Nom du lieu", "Commune"]
    assert table.loc[4, "Nom du lieu"] == "Le Tiers, atelier"


def test_xlsx_title_rows_above_the_header_found_by_its_column_names():
    data = xlsx({"Lieux": [["Inventaire des lieux – PETR 2026"], ["Mis à jour le 12/03"],
                           [], ["Nom du lieu", "Code INSEE", "Typologie"],
                           ["La Forge", "09122", "Fablab"]]})
    table = read_table(data, "f.xlsx")
    assert list(table.columns) == ["Nom du lieu", "Code INSEE", "Typologie"]
    assert list(table.index) == [5]
    assert "ligne 4 ; les 2 lignes au-dessus" in read_warnings(table)[0]


def test_a_one_column_file_keeps_its_header():
    table = read_table(b"Nom du lieu\nLa Forge\nLe Tiers\n", "lieux.csv")
    assert list(table.columns) == ["Nom du lieu"] and list(table.index) == [2, 3]
    assert read_warnings(table) == []


def test_data_cells_that_look_like_column_names_never_replace_the_header():
    data = ("Structure porteuse;Lieu d'accueil;Remarque\n"
            "Mairie;Salle de la commune;Adresse postale à vérifier\n").encode()
    table = read_table(data, "lieux.csv")
    assert list(table.columns) == ["Structure porteuse", "Lieu d'accueil", "Remarque"]
    assert list(table.index) == [2]
