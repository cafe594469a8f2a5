"""Patient documents: what may be uploaded, decided from the bytes, not the file name."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from clinic.errors import ClinicError

MAX_BYTES = 10 * 1024 * 1024
CATEGORIES = {
    "id_card": "ID card",
    "insurance_card": "Insurance card",
    "referral": "Referral",
    "lab_report": "Lab report",
    "imaging_report": "Imaging report",
    "consent_form": "Consent form",
    "correspondence": "Correspondence",
    "other": "Other",
}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    mime_type: str
    size_bytes: int
    sha256: str


def sniff(content: bytes) -> str | None:
    """The MIME type from the file's first bytes, or None when it is not PDF, PNG or JPEG."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def safe_filename(name: str, mime_type: str) -> str:
    """A file name safe to offer back for download: no folders, no odd characters, right ending."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem = re.sub(r"[^\w.\- ]+", "_", base.rsplit(".", 1)[0] if "." in base else base, flags=re.UNICODE).strip(" ._")
    return (stem[:80] or "document") + EXTENSIONS[mime_type]


def check_upload(filename: str, content: bytes) -> CheckedFile:
    """Raise a ClinicError saying why a file is refused; else describe it."""
    if not content:
        raise ClinicError("The file is empty.", field="file")
    if len(content) > MAX_BYTES:
        raise ClinicError(f"The file is {len(content) / 1048576:.1f} MB; the limit is 10 MB.", field="file")
    mime = sniff(content)
    if mime is None:
        raise ClinicError("Only PDF, PNG or JPEG files can be filed (this file is none of those, whatever its name).",
                          field="file")
    return CheckedFile(safe_filename(filename, mime), mime, len(content), hashlib.sha256(content).hexdigest())
