"""CSV for spreadsheet programs: what a cell says is shown, never run.

A spreadsheet program takes a cell that starts with ``=``, ``+``, ``-`` or
``@`` (and, in some, a tab or a carriage return before one) for a formula,
which can fetch URLs or run commands (OWASP, "CSV Injection"). Text cells
starting so get a leading ``'``, which the programs take as "this is text"
and do not show; numbers are written as they are (``-5`` stays a number).
Titles, names and errors in these files come from wikis and paging services.

Lines end with CRLF (RFC 4180 §2): the csv module quotes a cell that holds a
character of the line ending, so a carriage return in a title (which a
``\n`` ending would leave bare) cannot start a row of its own.
"""

from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """``value``, with a leading ``'`` when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(fields, rows) -> str:
    """A header line of ``fields``, then a line per row (a dict), each cell
    :func:`spreadsheet_cell`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: spreadsheet_cell(row.get(key)) for key in fields})
    return out.getvalue()
