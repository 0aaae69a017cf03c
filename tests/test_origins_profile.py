"""A place's sources as its profile shows them (French rows, nothing raw)."""

from observatory import formatting, origins


def test_profile_rows_name_each_source_and_which_source_gave_each_field():
    records = [{"source": "cget_2019", "record_id": "1001", "vintage": "2019",
                "file_name": "tiers-lieux.csv", "publisher": None},
               {"source": "france_services", "record_id": "2952", "vintage": float("nan"),
                "file_name": "", "publisher": "ANCT"}]
    fields = [{"field": "coordinates", "source": "manual"},
              {"field": "name", "source": "cget_2019"}]
    recs, rows = origins.profile_tables(records, fields)
    assert recs[0] == {"Source": "CGET 2019", "Identifiant dans la source": "1001",
                       "Millésime": "2019", "Fichier": "tiers-lieux.csv",
                       "Éditeur": formatting.MISSING}
    assert recs[1]["Millésime"] == recs[1]["Fichier"] == formatting.MISSING  # never « nan »
    assert rows == [{"Champ": "nom", "Donné par": "CGET 2019"},
                    {"Champ": "coordonnées", "Donné par": "saisie"}]  # in the fields' order


def test_a_place_without_sources_has_no_rows():
    assert origins.profile_tables([], []) == ([], [])
