"""Patient documents: what may be uploaded, decided from the bytes, not the file name.

The first bytes say which kind a file claims to be; then the whole file has to prove it: a PDF must
parse (pypdf) and carry nothing that runs when it is opened (JavaScript, automatic actions, program
launches, XFA forms), an image must decode to its last pixel (Pillow) and stay under a pixel cap,
so that a decompression bomb is refused before it is expanded in memory.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from clinic.errors import ClinicError

MAX_BYTES = 10 * 1024 * 1024
# An ID card or a letter page scanned at 600 dpi is under 35 megapixels; a phone photo 12 to 50.
# Decoding holds about 3 bytes a pixel in memory, so the cap also bounds what one upload can cost.
MAX_PIXELS = 50_000_000
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
    if mime == "application/pdf":
        check_pdf(content)
    else:
        check_image(content, mime)
    return CheckedFile(safe_filename(filename, mime), mime, len(content), hashlib.sha256(content).hexdigest())


# --- PDF -----------------------------------------------------------------------------------------

# Dictionary keys whose mere presence means something runs when the file is opened or used.
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "actions that run by themselves when a page or field is opened (/AA)",
    "/XFA": "an XFA form, which can carry scripts",
}
# Action types (the /S of an action dictionary, e.g. an /OpenAction) that run something.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that starts a program (/Launch)",
}
_DAMAGED_PDF = ("This PDF cannot be read: it is damaged or incomplete (an interrupted download or scan?). "
                "Open it on this computer and save it again, or scan the paper again.")


def check_pdf(content: bytes) -> None:
    """Raise a ClinicError (field "file") unless ``content`` is a PDF that parses, is not encrypted,
    has at least one page and contains nothing that runs when it is opened."""
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise ClinicError("This PDF is encrypted or password-protected, so ClinicDesk cannot check what it "
                              "contains. Save or print it as an unprotected PDF and file that.", field="file")
        if len(reader.pages) == 0:
            raise ClinicError("This PDF has no pages.", field="file")
        active = _active_content(reader)
    except ClinicError:
        raise
    except Exception as exc:  # pypdf raises many kinds on hostile input; all mean "cannot be read"
        raise ClinicError(_DAMAGED_PDF, field="file") from exc
    if active:
        raise ClinicError(f"This PDF contains {active}, which could run when someone opens it, so it is not "
                          "filed. Print it to a new PDF (or scan the paper copy) and file that.", field="file")


def _active_content(reader: PdfReader) -> str | None:
    """What runs in this PDF, or None. Every object in the file is looked at, reachable from the
    catalogue or not (a later edit of the file can leave a script in an object only a viewer's
    repair would find), in object streams too; names arrive decoded (``/J#53`` is ``/JS``)."""
    pending: list = [reader.trailer]
    for generation, table in reader.xref.items():
        pending.extend(IndirectObject(number, generation, reader) for number in table)
    pending.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    while pending:
        obj = pending.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # stream dictionaries too; their data stays undecoded
            for key, value in dict.items(obj):
                if key in _ACTIVE_KEYS:
                    return _ACTIVE_KEYS[key]
                if key == "/S" and value in _ACTIVE_ACTIONS:
                    return _ACTIVE_ACTIONS[value]
                pending.append(value)
        elif isinstance(obj, ArrayObject):
            pending.extend(obj)
    return None


# --- images --------------------------------------------------------------------------------------

_IMAGE_FORMATS = {"image/png": ("PNG",), "image/jpeg": ("JPEG", "MPO")}  # MPO: a phone's JPEG with extras
_DAMAGED_IMAGE = ("This image cannot be read: it is damaged or incomplete (an interrupted download or scan?). "
                  "Open it on this computer and save it again, or take the picture again.")


def check_image(content: bytes, mime: str) -> None:
    """Raise a ClinicError (field "file") unless ``content`` is a PNG or JPEG (as ``mime`` says)
    that decodes completely and has at most :data:`MAX_PIXELS` pixels."""
    formats = _IMAGE_FORMATS[mime]
    limit = f"the limit is {MAX_PIXELS // 1_000_000} megapixels. Scan or photograph it again at a lower resolution."
    try:
        # Pillow checks the size as it reads the header: past its own limit (about 89 megapixels,
        # above ours) it warns, past twice that it refuses. Either way nothing is decoded before the
        # size is known and refused here.
        with Image.open(io.BytesIO(content), formats=formats) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ClinicError(f"This image is {width:,} × {height:,} pixels; {limit}", field="file")
            image.verify()  # the file's structure and checksums (PNG chunk CRCs)
        with Image.open(io.BytesIO(content), formats=formats) as image:
            image.load()  # every pixel: a truncated or corrupt image fails here
    except ClinicError:
        raise
    except Image.DecompressionBombError as exc:
        raise ClinicError(f"This image has far too many pixels; {limit}", field="file") from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... on broken data
        raise ClinicError(_DAMAGED_IMAGE, field="file") from exc
