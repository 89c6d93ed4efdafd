"""Reading what offices export: a CSV (UTF-8 or Windows-1251, any of three separators) or an XLSX sheet.

Kept apart from planning because a file is hostile until read: its encoding, size, width and reading
time are checked here, so the planner only ever sees a header map and rows of text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from flask_babel import lazy_gettext as _l

#: Normalised header names (see ``_normalise_header``) that each column may carry, in en/ru/kk.
HEADER_ALIASES = {
    "email": {
        "email",
        "e mail",
        "mail",
        "почта",
        "эл почта",
        "электронная почта",
        "email адрес",
        "пошта",
        "электрондық пошта",
        "эл пошта",
    },
    "full_name": {
        "full name",
        "name",
        "fullname",
        "фио",
        "ф и о",
        "имя",
        "полное имя",
        "аты жөні",
        "аты жоні",
        "толық аты жөні",
        "аты",
    },
    "kind": {"kind", "type", "person kind", "тип", "вид", "категория", "түрі", "санаты"},
    "unit": {
        "unit",
        "unit code",
        "org unit",
        "org unit code",
        "department",
        "код подразделения",
        "подразделение",
        "бөлімше",
        "бөлімше коды",
        "бөлім",
        "бөлім коды",
    },
    "group": {"group", "study group", "группа", "учебная группа", "топ", "оқу тобы"},
    "position": {"position", "job title", "должность", "лауазым", "лауазымы"},
    "language": {"language", "lang", "locale", "язык", "тіл"},
}
REQUIRED_COLUMNS = ("email", "full_name", "kind", "unit")

XLSX_MAGIC = b"PK\x03\x04"
#: The most data rows and columns a file may have: the office's real files are tens of thousands of rows.
MAX_ROWS = 50_000
MAX_COLUMNS = 50
#: Seconds reading one file may take before it is refused (a sheet can declare far more than it holds).
READ_SECONDS = 20
CHUNK_BYTES = 1024 * 1024
#: How many non-blank rows at the top may be titles before the header row.
HEADER_SEARCH_ROWS = 5


class ImportFileError(Exception):
    """The file as a whole cannot be read (not a table, required columns missing, too big to check)."""


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s_.\-]+", " ", str(name or "").replace("\ufeff", "").strip().lower()).strip()


def _column_map(header: list) -> dict[str, int]:
    """Which column index holds each field; raises ``ImportFileError`` when required ones are missing."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _normalise_header(name)
        for field_name, aliases in HEADER_ALIASES.items():
            if key in aliases and field_name not in columns:
                columns[field_name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing and any("?" in str(name or "") for name in header):
        raise ImportFileError(
            _l(
                "The column names have “?” where letters were lost: the file was saved in an encoding without"
                " Kazakh letters. Save it as “CSV UTF-8” (or as an Excel workbook) and upload it again."
            )
        )
    if missing:
        raise ImportFileError(_l("Required columns are missing: %(columns)s.", columns=", ".join(missing)))
    return columns


def _undecodable_line(stream: BinaryIO, encoding: str) -> int | None:
    """The line of the first byte that is not ``encoding``, or ``None`` when the whole file decodes.

    Decodes a chunk at a time and keeps nothing, so a big file costs no memory here.
    """
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    while chunk := stream.read(CHUNK_BYTES):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            return line + chunk[: max(error.start, 0)].count(b"\n")
        line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    return None


def _text_encoding(stream: BinaryIO, name) -> str:
    """UTF-8 (with or without BOM), else Windows-1251: what Excel and 1C export here."""
    stream.seek(0)
    if b"\0" in stream.read(CHUNK_BYTES):  # no CSV holds a NUL byte; binary files nearly always do
        raise ImportFileError(_l("%(file)s is not a CSV or Excel file.", file=name))
    utf8_error_line = _undecodable_line(stream, "utf-8")
    if utf8_error_line is None:
        return "utf-8-sig"
    stream.seek(0)
    if stream.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:  # marked UTF-8, yet Windows-1251 inside
        raise ImportFileError(
            _l(
                "%(file)s, line %(line)s: the file is marked as UTF-8 but its text is in another encoding"
                " (Windows-1251, most likely). Save it again as “CSV UTF-8” and upload it.",
                file=name,
                line=utf8_error_line,
            )
        )
    line = _undecodable_line(stream, "cp1251")
    if line is not None:
        raise ImportFileError(
            _l("%(file)s, line %(line)s: the text is neither UTF-8 nor Windows-1251.", file=name, line=line)
        )
    return "cp1251"


def _delimiter(text: TextIO) -> str:
    """The separator of the first non-blank line: the most frequent of ``;``, ``,`` and tab."""
    first = ""
    while line := text.readline():
        if line.strip():
            first = line
            break
    text.seek(0)
    return max((";", ",", "\t"), key=first.count)


def _csv_rows(stream: BinaryIO, name) -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV, read as they come (the file is never held as text)."""
    encoding = _text_encoding(stream, name)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=_delimiter(text))
    try:
        for cells in reader:
            yield reader.line_num, cells[:MAX_COLUMNS]
    except csv.Error as error:  # a cell over csv.field_size_limit(), mostly
        raise ImportFileError(
            _l(
                "%(file)s, line %(line)s cannot be read: a cell is longer than %(limit)s characters"
                " or its quotes are not closed.",
                file=name,
                line=reader.line_num,
                limit=csv.field_size_limit(),
            )
        ) from error


def _xlsx_rows(stream: BinaryIO, name) -> Iterator[tuple[int, list[str]]]:
    """The rows of the first sheet, only those the file really holds and only the first columns."""
    from openpyxl import load_workbook

    unreadable = ImportFileError(_l("%(file)s cannot be read as an Excel file.", file=name))
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise unreadable from exc
    try:
        sheet = workbook.worksheets[0]
        # The declared size (``<dimension ref="A1:XFD10000"/>``) is the file's word, not its content:
        # trusted, every row would be padded to 16,384 cells.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, values in enumerate(rows, start=1):
            yield number, [_xlsx_text(v) for v in values]
    except Exception as exc:  # a damaged sheet, or XML the parser refuses (a DTD, an entity)
        raise unreadable from exc
    finally:
        workbook.close()


def _xlsx_text(value) -> str:
    """A cell as the officer sees it: ``101``, not ``101.0``, for a group typed as a number."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(
    data: bytes, filename: str = "", seconds: float = READ_SECONDS
) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The column map and the non-blank data rows (with their row numbers) of a CSV or XLSX file.

    The header is the first non-blank row that names the required columns, looked for among the
    first few, since exports often start with a title line. A file of more than ``MAX_ROWS`` rows,
    or one that takes longer than ``seconds`` to read, is refused rather than half read.
    """
    name = filename or _l("the file")
    stream = io.BytesIO(data)
    rows = _xlsx_rows(stream, name) if data.startswith(XLSX_MAGIC) else _csv_rows(stream, name)
    deadline = time.monotonic() + seconds
    header = None
    first_error = None
    tried = 0
    body = []
    for number, cells in rows:
        if time.monotonic() > deadline:
            raise ImportFileError(_l("%(file)s takes too long to read: split it into smaller files.", file=name))
        if not any(str(c).strip() for c in cells):
            continue
        if header is not None:
            if len(body) == MAX_ROWS:
                raise ImportFileError(
                    _l(
                        "%(file)s has more than %(limit)s rows: split it into smaller files.",
                        file=name,
                        limit=MAX_ROWS,
                    )
                )
            body.append((number, cells))
            continue
        tried += 1
        try:
            header = _column_map(cells)
        except ImportFileError as error:
            first_error = first_error or error
            if tried >= HEADER_SEARCH_ROWS:
                raise first_error from None
    if header is None:
        raise first_error or ImportFileError(_l("%(file)s is empty.", file=name))
    return header, body
