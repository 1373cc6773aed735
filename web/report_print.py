"""A report's print page, made into its PDF (reports/pdf.py): the page's own body
(web/templates/reports/_<report>.html, links=False) under a print header, with the same
charts, on A4.

Always in Vietnamese, like the CSV and XLSX exports: a report goes up to the commune's or
the province's office as an official paper, whoever downloads it and from whatever client
(a Bearer-token client sends no language). The times are in the report's zone (the
station's or the area's), named in the header."""

from __future__ import annotations

from pydantic import BaseModel

from reports.alert_models import AlertDeliveryReport, AlertDeliverySummaries
from reports.models import (
    AreaRollupPublic,
    LogBookPublic,
    PeriodicReportPublic,
    ProofOfPlayPublic,
    StationDayPublic,
)
from reports.pdf import PrintHeader, html_to_pdf
from web import i18n
from web.assets import STATIC_DIR
from web.report_bodies import report_charts
from web.templating import environment, speaking

PRINT_LOCALE = "vi"
STYLESHEETS = (STATIC_DIR / "reports.css",)  # its print rules at its end
TEMPLATES: dict[type[BaseModel], str] = {
    StationDayPublic: "reports/print/station_day.html",
    LogBookPublic: "reports/print/logbook.html",
    ProofOfPlayPublic: "reports/print/proof.html",
    AreaRollupPublic: "reports/print/rollup.html",
    PeriodicReportPublic: "reports/print/periodic.html",
    AlertDeliveryReport: "reports/print/alert.html",
    AlertDeliverySummaries: "reports/print/alerts.html",
}


def print_html(report: BaseModel, header: PrintHeader) -> str:
    """The print page of a report, as WeasyPrint lays it out (and a test reads it)."""
    i18n.use(PRINT_LOCALE)
    template = environment.get_template(TEMPLATES[type(report)])
    return template.render(
        **speaking(PRINT_LOCALE, header.zone),
        report=report,
        charts=report_charts(report),
        links=False,
        header=header,
    )


def print_report(report: BaseModel, header: PrintHeader) -> bytes:
    """The report's PDF: the app's `report_printer` (reports.pdf.ReportPrinter)."""
    return html_to_pdf(print_html(report, header), root=STATIC_DIR, stylesheets=STYLESHEETS)
