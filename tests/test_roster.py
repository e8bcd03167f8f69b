"""Roster CSV import: valid rows become roster entries; bad rows are named by line."""

from __future__ import annotations

import pytest

from compliance.roster import RosterError, RosterRow, parse_roster

GOOD = """name,role,party,order,e-mail
Anna Berg,ordförande,S,,anna.berg@example.se
"Lind, Erik",ledamot,M,,erik.lind@example.se

Sara Ek,ersättare,S,1,sara.ek@example.se
Olle Sund,sekreterare,,,olle.sund@example.se
"""


def problems(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(RosterError) as caught:
        parse_roster(text)
    return [(p.line, p.message_sv, p.message_en) for p in caught.value.problems]


def test_valid_roster_becomes_rows_with_their_lines() -> None:
    rows = parse_roster(GOOD)
    assert rows[1] == RosterRow(3, "Lind, Erik", "ledamot", "M", None, "erik.lind@example.se")
    assert [(r.line, r.role, r.order) for r in rows] == [
        (2, "ordförande", None),
        (3, "ledamot", None),
        (5, "ersättare", 1),
        (6, "sekreterare", None),
    ]


def test_swedish_headers_semicolons_and_excel_bom_are_accepted() -> None:
    text = "\ufeffNamn;Roll;Parti;Ordning;E-post\nSara Ek;Ersättare;S;2;sara.ek@example.se\n"
    row = RosterRow(2, "Sara Ek", "ersättare", "S", 2, "sara.ek@example.se")
    assert parse_roster(text) == [row]


def test_row_becomes_a_person_added_event() -> None:
    event = parse_roster(GOOD)[2].to_event("p3", "2026-01-15T09:00:00+01:00")
    assert (event.type, event.person_id, event.substitute_order) == ("person_added", "p3", 1)


def test_every_bad_row_is_reported_with_its_line_in_swedish_and_english() -> None:
    text = """name,role,party,order,e-mail
Anna Berg,ordförande,S,,anna.berg@example.se
Bo Ek,ledamo,S,,bo.ek@example.se
Cia Ås,ersättare,S,,cia@example.se
Dan Ulf,ledamot,,,dan.ulf@
Eva Ny,ersättare,M,ett,eva@example.se
Fia Sten,ledamot,S
"""
    found = problems(text)
    assert [line for line, _, _ in found] == [3, 4, 5, 5, 6, 6, 7]
    assert found[0][1].startswith("okänd roll 'ledamo'")
    assert found[0][2].startswith("unknown role 'ledamo'")
    assert found[1][1:] == (
        "ersättare behöver en ordning (1, 2, ...)",
        "a substitute needs an order (1, 2, ...)",
    )
    assert found[4][2] == "order 'ett' is not a whole number"
    assert found[-1][1:] == ("3 kolumner, väntade 5", "3 columns, expected 5")


def test_error_text_names_line_numbers_in_both_languages() -> None:
    with pytest.raises(RosterError, match=r"Rad 2: .* / Line 2: "):
        parse_roster("name,role,party,order,e-mail\nBo,ledamot,S,,no-address\n")


def test_duplicates_are_reported_against_the_first_line() -> None:
    text = """name,role,party,order,e-mail
Anna Berg,ordförande,S,,anna@example.se
Bo Ek,ordförande,S,,ANNA@example.se
Sara Ek,ersättare,S,1,sara@example.se
Sven Ek,ersättare,S,1,sven@example.se
"""
    found = problems(text)
    assert [(line, en) for line, _, en in found] == [
        (3, "e-mail address already on line 2"),
        (3, "chair already on line 2"),
        (5, "S already has substitute no. 1 on line 4"),
    ]


def test_missing_column_or_empty_file_is_refused() -> None:
    assert problems("name,role,party,e-mail\n") == [
        (1, "kolumn saknas: ordning/order", "missing column: ordning/order")
    ]
    assert problems("\n\n")[0][2] == "the file is empty"
