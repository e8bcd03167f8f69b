"""Verify an event log's hash chain: `python -m server.verify var/kvorum.sqlite3 [--anchor H]`.

Prints a one-line verdict, Swedish then English. Exit 0: the chain is intact (and contains the
anchor, if given); 1: broken, naming the first broken event; 2: the file cannot be read as an
event log. Opens the file read-only and changes nothing (no migration).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from compliance.chain import ChainVerdict, verify_chain

from .eventlog import read_chain


class NotAnEventLog(Exception):
    """The file is missing, not SQLite, or has no chained events table."""


def verify_file(path: Path, anchor: str | None = None) -> ChainVerdict:
    """The verdict on the event log in `path`, read-only."""
    if not path.is_file():
        raise NotAnEventLog(f"Filen finns inte / No such file: {path}")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = read_chain(db)
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise NotAnEventLog(
            f"Filen kan inte läsas som en händelselogg med hashkedja (starta servern en gång "
            f"för att uppgradera den) / The file cannot be read as a chained event log (start "
            f"the server once to upgrade it): {exc}"
        ) from None
    return verify_chain(rows, anchor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m server.verify",
        description="Verify the hash chain of a Kvorum event log (SQLite file).",
    )
    parser.add_argument("database", type=Path, help="the event log, e.g. var/kvorum.sqlite3")
    parser.add_argument(
        "--anchor",
        help="a hash taken earlier (e.g. printed in signed minutes) that the chain must contain",
    )
    args = parser.parse_args(argv)
    try:
        verdict = verify_file(args.database, args.anchor)
    except NotAnEventLog as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{verdict.message_sv} / {verdict.message_en}")
    return 0 if verdict.intact else 1


if __name__ == "__main__":
    sys.exit(main())
