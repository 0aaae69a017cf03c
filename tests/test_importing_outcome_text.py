"""What an import wrote and what replacing the demonstration data removes, said in French."""

from __future__ import annotations

from observatory import importing


def test_the_demo_removal_lists_each_part_with_its_count_and_french_plurals():
    text = importing.demo_removal_text({"stays": 30, "equipment": 24, "applications": 1,
                                        "consortia": 6, "evaluations": 102, "places": 42})
    assert text == ("42 lieux, 102 évaluations, 6 consortiums, 1 candidature à un appel à "
                    "projets, 24 équipements et 30 séjours d'équipement")


def test_parts_without_anything_are_left_out():
    assert importing.demo_removal_text({"places": 1, "evaluations": 0}) == "1 lieu"
    assert importing.demo_removal_text({"places": 0}) == ""
    assert importing.demo_removal_text({}) == ""
    assert importing.demo_removal_text({"places": 1234, "stays": 2}) == (
        "1\u202f234 lieux et 2 séjours d'équipement")


def test_the_written_text_says_the_counts_and_what_went_with_the_demo():
    written = {"added": 2, "updated": 1, "evaluations": 0, "demo_places": 42,
               "demo_consortia": 6, "demo_stays": 0}
    assert importing.demo_removed(written) == {"places": 42, "consortia": 6, "stays": 0}
    assert importing.written_text(written) == (
        "2 lieux ajoutés, 1 lieu mis à jour et 0 évaluation enregistrée. Données de "
        "démonstration retirées : 42 lieux et 6 consortiums.")


def test_without_the_demo_the_written_text_is_one_sentence():
    assert importing.written_text({"added": 0, "updated": 3, "evaluations": 5}) == (
        "0 lieu ajouté, 3 lieux mis à jour et 5 évaluations enregistrées.")


def test_the_demo_calls_are_listed_and_those_kept_are_said_with_what_to_check():
    assert importing.demo_removal_text({"places": 42, "calls": 6, "calls_kept": 0}) == (
        "42 lieux et 6 appels à projets de démonstration")
    written = {"added": 1, "updated": 0, "evaluations": 0, "demo_places": 42, "demo_calls": 5,
               "demo_calls_kept": 1}
    assert importing.written_text(written) == (
        "1 lieu ajouté, 0 lieu mis à jour et 0 évaluation enregistrée. Données de "
        "démonstration retirées : 42 lieux et 5 appels à projets de démonstration (1 appel à "
        "projets de démonstration est conservé, car une candidature ou un équipement saisi "
        "s'y rattache : vérifiez son budget et ses dates, page Appels à projets).")
