"""Reports as PDF: a report's print page (HTML with its charts as inline SVG) laid out by
WeasyPrint on A4.

The print pages are the web's (web/report_print.py renders web/templates/reports/print/,
which include the same bodies the report pages show): no domain imports the web, so the
app hands its printer to the exports on app.state (`report_printer`, set in api.py) and an
export route takes it as `PrinterDep`. Here: what a printer is given, and HTML to PDF.

WeasyPrint fetches nothing from outside: a print page links its style sheets and images
from web/static by file path, and any other URL is refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from pydantic import BaseModel

from core.areas.models import Area

PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class PrintHeader:
    """What each page's header names: the unit the report is of (its official code), and
    the zone its times are shown in, and when it was made."""

    unit: str | None
    code: str | None
    zone: str
    made_at: datetime

    @classmethod
    def of(cls, area: Area | None, *, zone: str, now: datetime) -> PrintHeader:
        """The header of a report of `area` (None: of no one area)."""
        return cls(area.name if area else None, area.code if area else None, zone, now)


class ReportPrinter(Protocol):
    def __call__(self, report: BaseModel, header: PrintHeader) -> bytes: ...


def _printer(request: Request) -> ReportPrinter:
    printer: ReportPrinter = request.app.state.report_printer
    return printer


PrinterDep = Annotated[ReportPrinter, Depends(_printer)]


def local_fetcher(root: Path) -> Any:
    """WeasyPrint's URL fetcher, allowed only files under `root` and data: URLs."""
    from weasyprint.urls import URLFetcher

    allowed = root.resolve().as_uri() + "/"

    class LocalFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(("data:", allowed)) or ".." in url:
                raise ValueError(f"a print page fetches nothing but its own files: {url}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols=("file", "data"))


def html_to_pdf(html: str, *, root: Path, stylesheets: Sequence[Path]) -> bytes:
    """The PDF of a print page whose relative URLs are files under `root`."""
    # Imported here: WeasyPrint (and its Pango) load on the first PDF, not with the app.
    from weasyprint import CSS, HTML

    fetcher = local_fetcher(root)
    document = HTML(string=html, base_url=root.resolve().as_uri() + "/", url_fetcher=fetcher)
    sheets = [CSS(filename=str(path), url_fetcher=fetcher) for path in stylesheets]
    pdf: bytes = document.write_pdf(stylesheets=sheets)
    return pdf
