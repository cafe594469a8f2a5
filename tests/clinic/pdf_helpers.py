"""Reading a PDF's text back in tests: fpdf2 output, no PDF library needed."""

from __future__ import annotations

import re
import zlib


def pdf_text(pdf: bytes) -> bytes:
    """Every stream of the PDF, inflated: the text the pages draw, in PDF string syntax."""
    out = []
    for match in re.finditer(rb"/Length (\d+)\s*>>\s*stream\r?\n", pdf):
        data = pdf[match.end():match.end() + int(match.group(1))]
        try:
            out.append(zlib.decompress(data))
        except zlib.error:  # not compressed (fonts, images)
            out.append(data)
    # "Page 1 of {nb}" is drawn as two strings once fpdf2 fills in the page count: join them.
    return b"\n".join(out).replace(b") Tj (", b"")
