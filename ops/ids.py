"""Numbers that name a row: a database integer (SQLite INTEGER, PostgreSQL bigint) holds at most
2**63 - 1, SQLite refuses to compare a larger Python int (OverflowError), and Python reads no string
of more than 4,300 digits as a number. Input that names an id (a URL, a query parameter, a link in an
imported text) is checked here before it reaches the database."""

from __future__ import annotations

MAX_INTEGER = 2**63 - 1
# The digits of the largest id: a longer string of digits names no row.
MAX_DIGITS = len(str(MAX_INTEGER))


def is_database_id(text: str) -> bool:
    """Whether `text` is ASCII digits of a number a database integer holds."""
    return text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS and int(text) <= MAX_INTEGER
