"""Merging two places, the pure rules: which fields differ, what the kept place takes, the
side-by-side view and the merge's line in the place's history, in French."""

from __future__ import annotations

from observatory import merging

VERNIOLLE = "09332"


def test_merge_choices_take_the_removed_places_values_only_where_they_differ():
    kept = {"name": "CapWork", "insee": VERNIOLLE, "lon": 1.0, "lat": 43.0,
            "location_approximate": True, "typology": "Coworking", "website": None,
            "thematics": ["numérique"]}
    removed = dict(kept, name="Cap Work", lon=1.1, lat=43.1, location_approximate=False,
                   website="https://capwork.fr")
    assert merging.differing_fields(kept, removed) == ["name", "coordinates", "website"]
    changes = merging.merged_changes(kept, removed, ["coordinates", "website", "typology"])
    assert changes == {"lon": 1.1, "lat": 43.1, "location_approximate": False,
                       "website": "https://capwork.fr"}


def test_a_merge_is_summed_up_in_french_for_the_history():
    text = merging.merge_summary(
        {"removed_place": {"id": 12, "name": "Cap Work"}, "fields": {"lon": 1, "lat": 2}},
        {"fields": {"lon": 1.1, "lat": 2.1, "website": "x"},
         "moved": {"evaluations": [1, 2], "equipment_stays": [5], "equipment": []}})
    assert text == ("fusion avec « Cap Work » (n° 12, supprimé) ; déplacés : 2 évaluations, "
                    "1 séjour d'équipement ; valeurs reprises : Position, Site web")


def test_the_side_by_side_view_reads_french_and_marks_the_differences():
    first = {"name": "CapWork", "insee": VERNIOLLE, "lon": 1.64812, "lat": 43.0817,
             "location_approximate": False, "typology": "Coworking", "opening_year": 2015,
             "transition_oriented": True, "thematics": ["numérique", "emploi"],
             "website": None, "contact": "Claire"}
    second = dict(first, name="Cap Work", location_approximate=True, opening_year=2012.0,
                  transition_oriented=None, contact="Karim")
    rows = merging.comparison(first, second, {VERNIOLLE: "Verniolle"})
    table = {r["Champ"]: (r["first"], r["second"], r["Diffère"]) for r in rows}
    assert "Contact" not in table  # personal data: only for those who may see it
    assert table["Nom"] == ("CapWork", "Cap Work", "oui")
    assert table["Commune"] == ("Verniolle (09332)", "Verniolle (09332)", "–")
    assert table["Position"] == ("43,0817 ; 1,64812", "43,0817 ; 1,64812 (centre de la commune)",
                                 "oui")
    assert table["Année d'ouverture"] == ("2015", "2012", "oui")
    assert table["Transitions"] == ("oui", "–", "oui")
    assert table["Thématiques"] == ("numérique, emploi", "numérique, emploi", "–")
    assert table["Site web"] == ("–", "–", "–")
    shown = merging.comparison(first, second, show_contact=True)
    assert shown[-1] == {"Champ": "Contact", "first": "Claire", "second": "Karim",
                         "Diffère": "oui"}


def test_a_commune_and_a_position_taken_from_two_places_are_flagged():
    kept = {"insee": VERNIOLLE, "lon": 1.64, "lat": 43.08, "location_approximate": False}
    removed = {"insee": "09122", "lon": 1.60, "lat": 42.96, "location_approximate": False}
    assert merging.mixed_location(kept, removed, ["insee"]).startswith("La commune et la position")
    assert merging.mixed_location(kept, removed, ["insee", "coordinates"]) == ""
    assert merging.mixed_location(kept, removed, []) == ""
    same_commune = dict(removed, insee=VERNIOLLE)
    assert merging.mixed_location(kept, same_commune, ["coordinates"]) == ""


def test_a_value_only_the_removed_record_has_is_proposed_not_dropped():
    kept = {"name": "CapWork", "website": None, "opening_year": None, "thematics": [],
            "lon": 1.6, "lat": 43.0, "location_approximate": False}
    removed = {"name": "Cap Work", "website": "https://capwork.fr", "opening_year": 2012,
               "thematics": ["numérique"], "lon": 1.6, "lat": 43.0,
               "location_approximate": False}
    assert merging.prefers_removed(kept, removed, "website")
    assert merging.prefers_removed(kept, removed, "opening_year")
    assert merging.prefers_removed(kept, removed, "thematics")
    assert not merging.prefers_removed(kept, removed, "name")  # both named: the kept one's
    assert not merging.prefers_removed(removed, kept, "website")  # the kept one has it
    assert not merging.prefers_removed(kept, removed, "coordinates")
