"""Probable duplicates, the pure rules: normalised names, neighbouring communes, the score and
its French reason, on cases met in the real lists (CGET 2019, a regional list of 2017)."""

from __future__ import annotations

from shapely.geometry import box

from observatory import duplicates as d

VERNIOLLE, FOIX, VARILHES = "09332", "09122", "09324"
LAVELANET, LAROQUE = "09160", "09157"


def rec(key, name, insee, commune, lon=None, lat=None, **extra):
    values = {"name": name, "insee": insee, "lon": lon, "lat": lat,
              "location_approximate": lon is None, **extra}
    return d.record(key, values, commune, incoming=isinstance(key, str))


def test_names_are_normalised_accents_case_articles_punctuation_and_prefixes_aside():
    assert d.name_tokens("CapWork") == ["capwork"]
    assert "".join(d.name_tokens("Cap Work")) == "capwork"
    assert d.name_tokens("Tiers-lieu La Fabrique de Foix", "Foix") == ["fabrique"]
    assert d.name_tokens("Tiers lieu « L'Écluse » !") == ["ecluse"]
    assert d.name_tokens("Association Espace de vie sociale Le Lien") == ["vie", "sociale", "lien"]
    # A name made only of such words keeps them rather than vanish.
    assert d.name_tokens("Tiers-lieu") == ["tiers", "lieu"]
    assert d.name_tokens("La Fabrique", "Foix") == ["fabrique"]


def test_identifiers_are_compared_in_one_form():
    assert d.phone_key("05 61 02 03 04") == d.phone_key("+33 5.61.02.03.04") == "561020304"
    assert d.phone_key("contact@capwork.fr") == ""
    assert d.website_key("https://www.CapWork.fr/") == d.website_key("capwork.fr") == "capwork.fr"
    assert d.siret_key("123 456 789 00012") == "12345678900012"
    assert d.siret_key("123") == ""


def test_the_same_coworking_listed_twice_in_the_cget_file_is_proposed_with_its_reason():
    """CGET 2019 lists « CapWork » and « Cap Work » at Verniolle (INSEE 09332; 09334 is
    Val-de-Sos)."""
    first = rec("ligne 2", "CapWork", VERNIOLLE, "Verniolle", 1.64812, 43.08170)
    second = rec("ligne 3", "Cap Work", VERNIOLLE, "Verniolle", 1.64830, 43.08200)
    [pair] = d.find_pairs([first, second])
    assert pair.score >= 85
    assert pair.reason == ("noms identiques une fois normalisés (capwork), "
                           "même commune (Verniolle), 36\u00a0m")


def test_a_place_of_a_regional_2017_list_found_again_in_the_cget_2019_list():
    regional = rec(7, "Tiers-lieu La Fabrique de Foix", FOIX, "Foix", 1.60750, 42.96530)
    cget = rec("ligne 12", "La Fabrique", FOIX, "Foix")  # no coordinates: commune centre
    [pair] = d.find_pairs([regional, cget])
    assert pair.score >= d.THRESHOLD
    assert "noms identiques une fois normalisés (fabrique)" in pair.reason
    assert "même commune (Foix)" in pair.reason


def test_two_different_places_in_the_same_small_commune_are_not_proposed():
    cafe = rec(1, "Café associatif La Brouette", VERNIOLLE, "Verniolle", 1.6490, 43.0830)
    cowork = rec(2, "CapWork", VERNIOLLE, "Verniolle", 1.6481, 43.0817)
    assert d.find_pairs([cafe, cowork]) == []
    assert d.score_pair(cafe, cowork).score < d.THRESHOLD


def test_a_coworking_and_a_fablab_sharing_a_building_and_a_word_are_not_proposed():
    cowork = rec(1, "Coworking du Plantaurel", VARILHES, "Varilhes", 1.64460, 43.05794)
    fablab = rec(2, "Fablab du Plantaurel", VARILHES, "Varilhes", 1.64470, 43.05796)
    assert d.score_pair(cowork, fablab).score < d.THRESHOLD


def test_france_services_of_two_neighbouring_communes_sharing_the_national_site_are_not_one():
    one = rec(1, "France services de Lavelanet", LAVELANET, "Lavelanet",
              website="https://www.france-services.gouv.fr")
    two = rec(2, "France services de Laroque-d'Olmes", LAROQUE, "Laroque-d'Olmes",
              website="www.france-services.gouv.fr/")
    neighbours = {LAVELANET: {LAROQUE}, LAROQUE: {LAVELANET}}
    pair = d.score_pair(one, two, neighbours)
    assert pair.score < d.THRESHOLD
    assert "communes voisines (Lavelanet et Laroque-d'Olmes)" in pair.reason


def test_the_same_siret_or_phone_brings_far_apart_records_together():
    a = rec(1, "Le Relais numérique", FOIX, "Foix", siret="12345678900012",
            contact="Claire, 05 61 02 03 04")
    b = rec("ligne 4", "Relais Numerique Ariège", VARILHES, "Varilhes",
            siret="123 456 789 00012", phone="0561020304")
    [pair] = d.find_pairs([a, b])
    assert "même SIRET (12345678900012)" in pair.reason and "même téléphone" in pair.reason
    # Two different SIRET: two structures, whatever their names.
    c = rec(3, "Le Relais numérique", FOIX, "Foix", siret="98765432100011")
    assert d.score_pair(a, c).score < d.score_pair(a, rec(5, "Le Relais numérique", FOIX,
                                                           "Foix")).score


def test_a_pair_marked_not_a_duplicate_is_not_proposed_again():
    first = rec(1, "CapWork", VERNIOLLE, "Verniolle", 1.64812, 43.08170)
    second = rec(2, "Cap Work", VERNIOLLE, "Verniolle", 1.64830, 43.08200)
    assert d.find_pairs([first, second], dismissed=[(2, 1)]) == []


def test_an_import_preview_keeps_only_pairs_with_an_incoming_row():
    stored = [rec(1, "CapWork", VERNIOLLE, "Verniolle", 1.64812, 43.08170),
              rec(2, "Cap Work", VERNIOLLE, "Verniolle", 1.64830, 43.08200)]
    incoming = rec("ligne 2", "Cap'Work", VERNIOLLE, "Verniolle")
    pairs = d.find_pairs([*stored, incoming], only_incoming=True)
    assert {frozenset((p.a.key, p.b.key)) for p in pairs} == {
        frozenset((1, "ligne 2")), frozenset((2, "ligne 2"))}


def test_records_in_neighbouring_communes_are_compared_not_those_far_apart():
    a = rec(1, "La Fabrique", FOIX, "Foix")
    b = rec(2, "La Fabrique", VERNIOLLE, "Verniolle")
    assert d.find_pairs([a, b]) == []  # not neighbours, no precise points: not compared
    pairs = d.find_pairs([a, b], {FOIX: {VERNIOLLE}, VERNIOLLE: {FOIX}}, threshold=0)
    assert [p.score for p in pairs] == [68]


def test_neighbouring_communes_touch_or_have_close_centres():
    geometries = {"A": box(0, 0, 1, 1), "B": box(1, 0, 2, 1), "C": box(3, 0, 4, 1),
                  "D": box(3.001, 2, 3.002, 2.001)}
    centres = {"A": (0.5, 0.5), "B": (1.5, 0.5), "C": (3.5, 0.5), "D": (3.5, 0.52)}
    found = d.neighbouring_communes(geometries, centres, centre_km=5)
    assert found["A"] == {"B"} and found["B"] == {"A"}
    assert found["C"] == {"D"} and found["D"] == {"C"}  # 2 km between centres


def test_missing_cells_of_a_table_are_not_identifiers():
    """Places read into a DataFrame have NaN for a missing website: never « même site web »."""
    nan = float("nan")
    a = d.record(1, {"name": "CapWork", "insee": VERNIOLLE, "lon": 1.6481, "lat": 43.0817,
                     "website": nan, "contact": nan, "location_approximate": nan}, "Verniolle")
    b = d.record(2, {"name": "Cap Work", "insee": VERNIOLLE, "lon": 1.6483, "lat": 43.0817,
                     "website": None, "contact": None}, "Verniolle")
    assert (a.website, a.phone, a.approximate) == ("", "", False)
    assert "site web" not in d.score_pair(a, b).reason


def test_one_shared_word_is_not_enough_across_two_communes():
    neighbours = {FOIX: {VERNIOLLE}, VERNIOLLE: {FOIX}}
    moulin = rec(1, "Le Moulin", FOIX, "Foix", 1.6053, 42.9653)
    coworking = rec(2, "Coworking du Moulin", VERNIOLLE, "Verniolle", 1.6100, 42.9700)
    assert d.score_pair(moulin, coworking, neighbours).score < d.THRESHOLD
    # In one commune, « La Fabrique » may well be « La Fabrique des Coteaux »: proposed.
    fabrique = rec(3, "La Fabrique", FOIX, "Foix")
    coteaux = rec(4, "La Fabrique des Coteaux", FOIX, "Foix")
    assert d.score_pair(fabrique, coteaux).score >= d.THRESHOLD


def test_an_identifier_many_records_share_is_a_networks_not_a_places():
    """The 2,845 France services all give the national site: never a reason, never a block."""
    services = [rec(i, f"France services {town}", f"09{i:03d}", town,
                    website="https://www.france-services.gouv.fr")
                for i, town in enumerate(("Foix", "Pamiers", "Lavelanet", "Mirepoix", "Saverdun",
                                          "Varilhes", "Tarascon"))]
    assert d.find_pairs(services, threshold=0) == []
    twins = [rec(1, "Le Relais", FOIX, "Foix", website="https://relais.fr"),
             rec(2, "Relais numérique", VARILHES, "Varilhes", website="relais.fr")]
    assert "même site web (relais.fr)" in d.find_pairs(twins, threshold=0)[0].reason
