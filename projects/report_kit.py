"""What a page listing PDFs built by workers needs to know about its own kind of report:
URL names, element ids and wording. templates/components/pdf_reports.html does the rest."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportKit:
    prefix: str  # ids and data-action names: "<prefix>-<pk>-status", "<prefix>-create"
    list_url: str
    create_url: str
    status_url: str
    retry_url: str
    download_url: str
    intro: str
    build_label: str
    period_label: str  # heading of the first column
    empty_text: str
