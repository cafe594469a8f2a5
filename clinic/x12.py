"""X12 (HIPAA EDI) plumbing shared by the 837P claim files ClinicDesk writes and the 835
remittances it reads: validation by ``pyx12`` (an X12 validator nobody here wrote) and the
cleaning of text that goes into an element.

:func:`validate` runs pyx12's full validation (envelopes, segment order and counts, element
syntax, code sets, the implementation guide's situational rules) and returns every problem it
reports, each with the file line and segment; an empty list means the file is valid.
"""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

# pyx12 logs every problem it finds at error level on its own logger; ClinicDesk reports them
# through validate()'s result instead, so they must not reach the app's log or the terminal.
_PYX12_LOG = logging.getLogger("pyx12")
_PYX12_LOG.addHandler(logging.NullHandler())
_PYX12_LOG.propagate = False

# The X12 "basic character set" plus the lower case letters of the extended set; anything else
# (and the delimiters * ~ : ^ used by our files) is removed from text put into an element.
_NOT_ALLOWED: Final = re.compile(r"[^A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


@dataclass(frozen=True)
class Problem:
    """One thing pyx12 found wrong: file line (1-based, one segment per line in our files),
    segment id and, when known, the element position ("CLM05-1")."""

    line: int | None
    segment: str | None
    element: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.segment:
            where.append(f"segment {self.segment}" + (f" ({self.element})" if self.element else ""))
        if self.line:
            where.append(f"line {self.line}")
        return (", ".join(where) + ": " if where else "") + self.message


def clean(text: object, limit: int | None = None) -> str:
    """Text made safe for one X12 element: accents dropped (José -> JOSE), upper case, only the
    characters X12 allows, single spaces, cut to ``limit``."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode("ascii")
    plain = " ".join(_NOT_ALLOWED.sub(" ", plain).split()).upper()
    return plain[:limit].rstrip() if limit else plain


def validate(text: str) -> list[Problem]:
    """Every problem pyx12 finds in the X12 ``text`` (empty: valid)."""
    if not text.strip().startswith("ISA"):
        return [Problem(1, None, None, "This is not an X12 file: it does not start with an ISA segment.")]
    out = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None,
                                                  fd_json=out)
    except pyx12.errors.EngineError as exc:  # e.g. no map for the version named in GS08
        return [Problem(None, "GS", "GS08", f"pyx12 cannot read this file: {exc}")]
    except pyx12.errors.X12Error as exc:
        return [Problem(None, None, None, f"pyx12 cannot read this file: {exc}")]
    problems = _problems(json.loads(out.getvalue())) if out.getvalue() else []
    if not valid and not problems:
        problems = [Problem(None, None, None, "pyx12 found the file invalid.")]
    return problems


def _problems(doc: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []

    def errors_of(node: dict[str, Any], segment: str | None, line: int | None, element: str | None = None) -> None:
        for err in node.get("errors") or []:
            found.append(Problem(line, segment, element, str(err.get("err_str") or err)))

    for isa in doc.get("interchanges", []):
        errors_of(isa, "ISA", isa.get("cur_line"))
        for gs in isa.get("groups", []):
            errors_of(gs, "GS", gs.get("cur_line"))
            for st in gs.get("transactions", []):
                errors_of(st, "ST", st.get("cur_line"))
                for seg in st.get("segments", []):
                    seg_id, line = seg.get("seg_id"), seg.get("cur_line")
                    errors_of(seg, seg_id, line)
                    for ele in seg.get("elements", []):
                        pos = f"{seg_id}{int(ele['ele_pos']):02d}" if ele.get("ele_pos") else None
                        if pos and ele.get("subele_pos"):
                            pos += f"-{ele['subele_pos']}"
                        errors_of(ele, seg_id, line, pos)
    found.sort(key=lambda p: (p.line is None, p.line or 0))
    return found
