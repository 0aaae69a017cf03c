"""The Importer page says the upload limit and what the reader chose by itself (issue 10)."""

from __future__ import annotations

from observatory.importing import SIZE_LIMIT_TEXT

# ISO-8859-15 (œ is 0xBD), a title row above the header and the « Communs » column twice.
FILE = ("Inventaire des lieux - PETR 2026;;;;\n"
        "Nom du lieu;Code INSEE;Typologie;Communs;Communs\n"
        "Cœur de ville;09122;Fablab;3;1\n").encode("iso-8859-15")


def test_the_importer_shows_the_limit_the_encoding_the_header_row_and_twin_columns(
        make_app, app_db):
    at = make_app(app_db, page="pages/importer.py")
    at.run()
    assert SIZE_LIMIT_TEXT in at.markdown[0].value
    at.file_uploader(key="imp_file_places").set_value(("lieux.csv", FILE, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value.replace("\\", "") for w in at.warning]  # markdown escapes off
    assert any("ISO-8859-15" in w for w in warnings), warnings
    assert any("lus sur la ligne 2" in w for w in warnings), warnings
    assert any("Création de communs" in w for w in warnings), warnings
