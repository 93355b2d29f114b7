"""Showing a run's results: plain text for people, JSON or CSV for scripts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TextIO

from assistant.documents.model import Outcome
from assistant.documents.results import RunReport
from assistant.files import replace_text
from assistant.i18n import _
from assistant.text_safety import for_file, for_terminal, json_line

CSV_FIELDS = (
    "document",
    "format",
    "location",
    "source",
    "status",
    "current_alt",
    "new_alt",
    "outcome",
    "reason",
)


def _quote(text: str | None) -> str:
    return "nothing" if text is None else json.dumps(text, ensure_ascii=False)


def print_text(report: RunReport, out: TextIO, written: bool) -> None:
    """Per document, each image: what it has now and what was (or would be) written. Names, sources and
    reasons come from the documents, so each line is escaped: none can move the cursor or forge a line."""

    def say(line: str) -> None:
        print(for_terminal(line), file=out)

    for document in report.documents:
        label = f" ({document.format})" if document.format else ""
        say(f"{document.path}{label}")
        if document.error:
            say(_("  Failed: {error}").format(error=document.error))
        for note in document.notes:
            say(f"  {note}")
        for image in document.images:
            now = f"{image.status.value}, alt {_quote(image.current_alt)}"
            if image.outcome in {Outcome.WOULD_WRITE, Outcome.WRITTEN}:
                verb = "wrote" if image.outcome is Outcome.WRITTEN else "would write"
                what = f"{verb} {_quote(image.new_alt)}"
            else:
                what = f"{image.outcome.value}: {image.reason}" if image.reason else image.outcome.value
            say(f"  {image.location}: {now} -> {what}")
        if not document.images and not document.error:
            say(_("  No images."))
        if document.written_to:
            say(_("  Written through the link to {written_to}").format(written_to=document.written_to))
        if document.backup:
            say(_("  Original kept as {backup}").format(backup=document.backup))
    say(summary_line(report, written))


def summary_line(report: RunReport, written: bool) -> str:
    counts = report.counts()
    done = counts.get("written", 0) if written else counts.get("would-write", 0)
    parts = [
        f"{counts['documents']} documents",
        f"{counts['images']} images",
        f"{done} {'written' if written else 'would be written'}",
        f"{counts.get('kept', 0)} kept",
        f"{counts.get('skipped', 0)} skipped",
        f"{counts.get('failed', 0)} failed",
    ]
    if counts["documents_failed"]:
        parts.append(f"{counts['documents_failed']} documents could not be processed")
    if report.interrupted:
        parts.append(f"stopped early, {counts.get('not-done', 0)} not done (run again to finish)")
    elif not written and done:
        parts.append("run with --write to write them")
    return "Summary: " + ", ".join(parts) + "."


def to_json(report: RunReport) -> str:
    """The report as JSON that any terminal or UTF-8 file takes: controls and undecodable names escaped."""
    return json_line(report.as_dict(), indent=2)


def to_csv(report: RunReport) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for document in report.documents:
        base = {"document": str(document.path), "format": document.format}
        if document.error or not document.images:
            writer.writerow({**base, "outcome": "failed" if document.error else "", "reason": document.error})
        for image in document.images:
            row = image.as_dict()
            writer.writerow({**base, **{key: row.get(key) for key in CSV_FIELDS[2:]}})
    return buffer.getvalue()


def save(report: RunReport, path: Path) -> None:
    """Write the report as JSON or CSV, chosen by the file's extension."""
    text = for_file(to_csv(report)) if path.suffix.lower() == ".csv" else to_json(report)
    replace_text(path, text)
