"""French alphabetical order: letters first, then accents, then case."""

from navette.core.collation import collation_key, sorted_by


def test_accents_and_case_do_not_count_first():
    names = ["Meurchin", "Wingles", "Méricourt", "Évin-Malmaison", "estevelles", "Avion"]
    assert sorted(names, key=collation_key) == [
        "Avion", "estevelles", "Évin-Malmaison", "Méricourt", "Meurchin", "Wingles",
    ]  # fmt: skip


def test_ties_break_on_accents_then_case_and_ligatures_expand():
    assert sorted(["Côte", "côte", "Cote", "cote"], key=collation_key) == [
        "cote", "Cote", "côte", "Côte",
    ]  # fmt: skip
    assert sorted(["Oeuvres", "Œuvre", "Odile"], key=collation_key) == [
        "Odile", "Œuvre", "Oeuvres",
    ]  # fmt: skip


def test_hyphens_and_spaces_weigh_the_same():
    assert collation_key("Saint-Omer")[0] == collation_key("Saint Omer")[0]
    assert sorted(["Saint-Omer", "Sainte-Catherine"], key=collation_key) == [
        "Saint-Omer", "Sainte-Catherine",
    ]  # fmt: skip


def test_sorted_by_several_keys():
    rows = [("Méricourt", "B"), ("Meurchin", "A"), ("Méricourt", "a")]
    assert sorted_by(rows, lambda r: r[0], lambda r: r[1]) == [
        ("Méricourt", "a"), ("Méricourt", "B"), ("Meurchin", "A"),
    ]  # fmt: skip
