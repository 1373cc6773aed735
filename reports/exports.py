"""Reports as files: CSV (streamed, UTF-8 with a byte-order mark so spreadsheet programs
read Vietnamese right), XLSX (XlsxWriter, one sheet per table) and PDF (the report's print
page laid out by WeasyPrint: reports/pdf.py)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse

from reports.pdf import PDF
from reports.tables import Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
# The OpenAPI description of an export's 200 answer.
EXPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The report as a file",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            PDF: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
_FORMULA_STARTS = frozenset("=+-@\t\r")


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


def csv_lines(tables: Sequence[Table]) -> Iterator[str]:
    """Every table one after the other, each under its title, a blank line between."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, table in enumerate(tables):
        rows: list[Sequence[object]] = [(table.title,), table.header, *table.rows]
        if number:
            rows.insert(0, ())
        for row in rows:
            writer.writerow([_csv_cell(cell) for cell in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()


def _csv_cell(cell: object) -> object:
    """A spreadsheet program runs text that starts like a formula: such text is quoted."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell[:1] in _FORMULA_STARTS:
        return "'" + cell
    return cell


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    import xlsxwriter  # here: on the first spreadsheet, not at every start

    output = io.BytesIO()
    # Text stays text: a title typed as "=HYPERLINK(...)" must not become a formula.
    options = {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    book = xlsxwriter.Workbook(output, options)
    bold = book.add_format({"bold": True})
    used: set[str] = set()
    for number, table in enumerate(tables, start=1):
        name = _SHEET_UNSAFE.sub(" ", table.title)[:28].strip() or f"Bảng {number}"
        while name in used:
            name = f"{name[:25]} {number}"
        used.add(name)
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, [table.title], bold)
        sheet.write_row(1, 0, table.header, bold)
        for row_number, row in enumerate(table.rows, start=2):
            sheet.write_row(row_number, 0, ["" if cell is None else cell for cell in row])
        sheet.set_column(0, max(len(table.header) - 1, 0), 18)
    book.close()
    return output.getvalue()


def export(
    tables: Sequence[Table], fmt: ExportFormat, filename: str, *, pdf: Callable[[], bytes]
) -> Response:
    """The answer: the file, named for the person who saves it. `pdf` prints the report
    (called for a PDF only)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "report"
    disposition = (
        f'attachment; filename="{ascii_name}.{fmt.value}"; '
        f"filename*=UTF-8''{quote(filename)}.{fmt.value}"
    )
    headers = {"Content-Disposition": disposition}
    if fmt is ExportFormat.csv:
        return StreamingResponse(csv_lines(tables), media_type=CSV, headers=headers)
    if fmt is ExportFormat.pdf:
        return Response(pdf(), media_type=PDF, headers=headers)
    return Response(xlsx_bytes(tables), media_type=XLSX, headers=headers)
