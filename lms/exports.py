"""Streamed CSV and XLSX exports, shared by every report (progress, campaigns, audit log).

Rows are written as they come from the database, so an export of 20,000 people never holds them
all in memory; cells that a spreadsheet would run as a formula are written as plain text.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context

from lms.database import as_utc

#: A cell starting with one of these is a formula to Excel (and to openpyxl): "=HYPERLINK(…)" as a name.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_ROWS = 1000
XLSX_CHUNK = 64 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def inert(value):
    """Text that a spreadsheet shows as typed, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return inert(value)


def wall_time(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A UTC time as the university's wall-clock time, without zone (spreadsheets have none)."""
    if value is None:
        return None
    return as_utc(value).astimezone(zone).replace(tzinfo=None, microsecond=0)


def stream_csv(header: list[str], records: Iterable[list]) -> Iterator[str]:
    """CSV text in chunks, with a BOM so Excel opens Cyrillic correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for n, record in enumerate(records, 1):
        writer.writerow([_cell(v) for v in record])
        if n % CSV_CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value


def stream_xlsx(title: str, header: list[str], records: Iterable[list]) -> Iterator[bytes]:
    """An XLSX workbook written row by row (openpyxl write-only) to a temporary file, then streamed."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append(header)
    for record in records:
        sheet.append([inert(v) for v in record])
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(XLSX_CHUNK):
            yield chunk


def _sheet_title(title: str) -> str:
    """Excel refuses sheet names over 31 characters or with []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return cleaned[:31] or "Report"


def export_response(fmt: str, filename: str, title: str, header: list[str], records: Iterable[list]) -> Response:
    """The download of ``records`` as ``fmt`` (csv or xlsx), streamed."""
    if fmt == "xlsx":
        body, mimetype = stream_xlsx(title, header, records), XLSX_MIMETYPE
    else:
        body, mimetype = stream_csv(header, records), "text/csv"  # Werkzeug adds the charset
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )
