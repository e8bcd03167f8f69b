"""The committee roster (förteckning): what a valid entry is, and the CSV import.

The CSV has a header row naming the columns name, role, party, order, e-mail (Swedish names
namn, roll, parti, ordning, e-post are accepted too), separated by commas or, as Swedish
spreadsheets export them, semicolons. Every bad row is reported at once, with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from compliance.events import ELECTED_ROLES, ROLES, PersonAdded, Role

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "namn"),
    "role": ("role", "roll"),
    "party": ("party", "parti"),
    "order": ("order", "ordning"),
    "email": ("e-mail", "email", "e-post", "epost"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The one set of limits for a roster entry, whether it comes from the API or a CSV file.
MAX_NAME = 120
MAX_PARTY = 40
MAX_EMAIL = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class RosterRow:
    """One valid roster entry and the line it came from."""

    line: int
    name: str
    role: Role
    party: str
    order: int | None
    email: str

    def to_event(self, person_id: str, at: str) -> PersonAdded:
        """The `person_added` event for this row (the caller chooses the id)."""
        return PersonAdded(
            at=at,
            person_id=person_id,
            name=self.name,
            role=self.role,
            party=self.party,
            substitute_order=self.order,
            email=self.email,
        )


@dataclass(frozen=True)
class RosterProblem:
    """What is wrong on one line, in Swedish and English."""

    line: int
    message_sv: str
    message_en: str

    def __str__(self) -> str:
        return f"Rad {self.line}: {self.message_sv} / Line {self.line}: {self.message_en}"


class RosterError(ValueError):
    """The roster could not be imported; `problems` lists every bad line."""

    def __init__(self, problems: list[RosterProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


def person_problems(
    name: str, role: str, party: str, order: int | None, email: str
) -> list[tuple[str, str]]:
    """What makes one roster entry invalid, as (Swedish, English) messages; empty if valid."""
    problems: list[tuple[str, str]] = []
    for label_sv, label_en, value, limit in (("namn", "name", name, MAX_NAME),
                                             ("parti", "party", party, MAX_PARTY),
                                             ("e-post", "e-mail", email, MAX_EMAIL)):
        if len(value) > limit:
            problems.append((f"{label_sv} är för långt (högst {limit} tecken)",
                             f"{label_en} is too long (at most {limit} characters)"))
        if _CONTROL.search(value):
            problems.append((f"{label_sv} innehåller styrtecken",
                             f"{label_en} contains control characters"))
    if problems:
        return problems
    if not name.strip():
        problems.append(("namn saknas", "name is missing"))
    if role not in ROLES:
        allowed = ", ".join(ROLES)
        problems.append(
            (
                f"okänd roll '{role}' (tillåtna: {allowed})",
                f"unknown role '{role}' (allowed: {allowed})",
            )
        )
    if role in ELECTED_ROLES and not party.strip():
        problems.append(
            ("parti saknas för förtroendevald", "party is missing for an elected member")
        )
    if role == "ersättare" and order is None:
        problems.append(
            ("ersättare behöver en ordning (1, 2, ...)", "a substitute needs an order (1, 2, ...)")
        )
    if order is not None and order < 1:
        problems.append(("ordning ska vara 1 eller större", "order must be 1 or more"))
    if not _EMAIL.match(email):
        problems.append((f"ogiltig e-postadress '{email}'", f"invalid e-mail address '{email}'"))
    return problems


def parse_roster(text: str) -> list[RosterRow]:
    """Parse roster CSV text into rows, or raise `RosterError` listing every bad line."""
    text = text.removeprefix("\ufeff")  # Excel's UTF-8 byte order mark
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)

    try:
        header = next((r for r in reader if any(c.strip() for c in r)), None)
    except csv.Error as exc:
        raise RosterError([_unreadable(reader.line_num or 1, exc)]) from None
    if header is None:
        raise RosterError([RosterProblem(1, "filen är tom", "the file is empty")])
    index = _column_index(header, reader.line_num)

    rows: list[RosterRow] = []
    problems: list[RosterProblem] = []
    seen: dict[tuple[str, ...], int] = {}  # what must be unique -> the line it first appeared on
    for record in _records(reader, problems):
        line = reader.line_num
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            n, expected = len(record), len(header)
            sv, en = f"{n} kolumner, väntade {expected}", f"{n} columns, expected {expected}"
            problems.append(RosterProblem(line, sv, en))
            continue
        value = {key: record[i].strip() for key, i in index.items()}
        order, found = _parse_order(value["order"])
        role = cast(Role, value["role"].lower())  # checked by person_problems below
        row = RosterRow(line, value["name"], role, value["party"], order, value["email"])
        found += person_problems(row.name, row.role, row.party, row.order, row.email)
        found += _duplicates(row, seen)
        if found:
            problems.extend(RosterProblem(line, sv, en) for sv, en in found)
        else:
            rows.append(row)
    if problems:
        raise RosterError(problems)
    return rows


def _records(reader: Any, problems: list[RosterProblem]) -> Iterator[list[str]]:
    """The reader's records; a line the csv module cannot read (a field over its size limit)
    becomes a problem, and the file is not read further."""
    try:
        yield from reader
    except csv.Error as exc:
        problems.append(_unreadable(reader.line_num, exc))


def _unreadable(line: int, exc: csv.Error) -> RosterProblem:
    return RosterProblem(line, f"raden kan inte läsas ({exc})", f"the line cannot be read ({exc})")


def _duplicates(row: RosterRow, seen: dict[tuple[str, ...], int]) -> list[tuple[str, str]]:
    """What `row` repeats from an earlier line: e-mail, the chair, a party's substitute number."""
    unique: dict[tuple[str, ...], Callable[[int], tuple[str, str]]] = {
        ("email", row.email.lower()): lambda n: (
            f"e-postadressen finns redan på rad {n}",
            f"e-mail address already on line {n}",
        )
    }
    if row.role == "ordförande":
        unique[("chair",)] = lambda n: (
            f"ordförande finns redan på rad {n}",
            f"chair already on line {n}",
        )
    if row.role == "ersättare" and row.order is not None:
        unique[("order", row.party, str(row.order))] = lambda n: (
            f"{row.party} har redan ersättare nr {row.order} på rad {n}",
            f"{row.party} already has substitute no. {row.order} on line {n}",
        )
    found = []
    for key, message in unique.items():
        first = seen.setdefault(key, row.line)
        if first != row.line:
            found.append(message(first))
    return found


def _column_index(header: list[str], line: int) -> dict[str, int]:
    """Column key -> position, from the header's Swedish or English names."""
    names = [h.strip().lower() for h in header]
    index: dict[str, int] = {}
    missing: list[str] = []
    for key, aliases in COLUMNS.items():
        position = next((i for i, n in enumerate(names) if n in aliases), None)
        if position is None:
            missing.append(f"{aliases[1]}/{aliases[0]}")
        else:
            index[key] = position
    if missing:
        cols = ", ".join(missing)
        problem = RosterProblem(line, f"kolumn saknas: {cols}", f"missing column: {cols}")
        raise RosterError([problem])
    return index


def _parse_order(text: str) -> tuple[int | None, list[tuple[str, str]]]:
    """The order column as an int (None if empty), and the problem if it is not a number."""
    if not text:
        return None, []
    try:
        return int(text), []
    except ValueError:
        return None, [
            (f"ordning '{text}' är inte ett heltal", f"order '{text}' is not a whole number")
        ]
