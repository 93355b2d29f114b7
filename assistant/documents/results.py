"""What a run found and did: per document, per image, and the counts over all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.documents.model import ImageOccurrence, Outcome


@dataclass
class DocumentResult:
    path: Path
    format: str = ""
    images: list[ImageOccurrence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    written: bool = False
    backup: Path | None = None
    written_to: Path | None = None  # the file a linked document points to, when written through
    interrupted: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(image.outcome is Outcome.FAILED for image in self.images)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "format": self.format,
            "error": self.error,
            "written": self.written,
            "backup": str(self.backup) if self.backup else None,
            "written_to": str(self.written_to) if self.written_to else None,
            "interrupted": self.interrupted,
            "notes": self.notes,
            "images": [image.as_dict() for image in self.images],
        }


@dataclass
class RunReport:
    documents: list[DocumentResult] = field(default_factory=list)
    interrupted: bool = False
    engine_seconds: float = 0.0
    ocr_seconds: float = 0.0
    wall_seconds: float = 0.0
    described: int = 0  # distinct pictures sent to the engine

    @property
    def failed(self) -> bool:
        return any(document.failed for document in self.documents)

    def counts(self) -> dict[str, int]:
        counts = {"documents": len(self.documents), "images": 0}
        for document in self.documents:
            counts["images"] += len(document.images)
            for image in document.images:
                counts[image.outcome.value] = counts.get(image.outcome.value, 0) + 1
        counts["documents_failed"] = sum(1 for d in self.documents if d.error)
        counts["documents_written"] = sum(1 for d in self.documents if d.written)
        return counts

    def as_dict(self) -> dict[str, object]:
        return {
            "summary": {
                **self.counts(),
                "interrupted": self.interrupted,
                "failed": self.failed,
                "engine_seconds": round(self.engine_seconds, 3),
                "wall_seconds": round(self.wall_seconds, 3),
            },
            "documents": [document.as_dict() for document in self.documents],
        }
