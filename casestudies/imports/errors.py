"""What an import reports: an error on a line and column of the file, and the refusal of a file.

Every step (reading, validation, planning) reports with these, and so does the tracker connector
(casestudies.tracker), on the lines of its own file.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

# Errors collected before a file is refused without reading further.
MAX_ERRORS = 500


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.line and self.column:
            return _("line %(line)d, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        if self.line:
            return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class ImportFailed(Exception):
    """The file cannot be imported; `errors` says where and why. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__("\n".join(str(error) for error in errors[:20]))
        self.errors = errors
