"""ICD-10-CM diagnosis codes, checked against the official code list that ships with the
``simple-icd-10-cm`` package (CMS's tabular list, the version pinned in requirements.txt).

A code goes on an invoice line only when it exists and is billable: a leaf of the tabular list
(E11.9, I10, S52.521A), not a heading that has more specific codes under it (E11, S52.521).

The package parses its XML when first imported (several seconds on a busy machine), so it is
imported on first use and never at module load: screens that never touch a diagnosis do not pay.
Codes are normalised with :func:`clinic.billing.normalise_icd10` ("e119" -> "E11.9").
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable
from types import ModuleType

from clinic.billing import normalise_icd10
from clinic.errors import ValidationError

# The shape of a code: a letter, a digit, a letter or digit, then optionally a dot and 1-4 more.
_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


@functools.cache
def _icd() -> ModuleType:
    with warnings.catch_warnings():  # it reads its data through importlib.resources' deprecated calls
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm  # noqa: PLC0415 - slow import (parses the tabular list): on first use only

    return simple_icd_10_cm


def _is_code(icd: ModuleType, code: str) -> bool:
    return bool(_SHAPE.match(code)) and icd.is_valid_item(code) and icd.is_category_or_subcategory(code)


def check_code(text: str, *, field: str = "diagnoses") -> str:
    """The billable ICD-10-CM code ``text`` names, normalised ("e119 " -> "E11.9").

    Raises :class:`clinic.errors.ValidationError` on ``field`` for text that is not a code, a code
    that is not in the official list, or a heading that is not billable (saying which codes to use)."""
    code = normalise_icd10(text)
    if not code:
        raise ValidationError({field: "Enter an ICD-10-CM code (e.g. E11.9)."})
    if not _SHAPE.match(code):
        raise ValidationError({field: f"“{' '.join(text.split())[:20]}” is not an ICD-10-CM code (e.g. E11.9)."})
    icd = _icd()
    if not _is_code(icd, code):
        raise ValidationError({field: f"“{code}” is not in the ICD-10-CM code list."})
    if not icd.is_leaf(code):
        first = next((c for c in icd.get_descendants(code) if icd.is_leaf(c)), None)
        example = f", e.g. {first}" if first else ""
        raise ValidationError({field: f"“{code}” ({icd.get_description(code)}) is a heading, not a billable "
                                      f"code: choose a more specific code under it{example}."})
    return code


def check_codes(texts: Iterable[str], *, field: str = "diagnoses") -> tuple[str, ...]:
    """:func:`check_code` for each non-blank text, in order, without repeats."""
    return tuple(dict.fromkeys(check_code(t, field=field) for t in texts if (t or "").strip()))


def describe(text: str) -> str | None:
    """The official description of a code (billable or a heading), or None if there is no such code."""
    code = normalise_icd10(text)
    icd = _icd()
    return icd.get_description(code) if code and _is_code(icd, code) else None


def code_list() -> list[tuple[str, str, bool]]:
    """Every code of the tabular list as (code, description, billable), in the list's order:
    about 97,000, of which about 74,700 billable. Chapters and blocks are left out; the list names
    a block holding a single category (e.g. B20) like the category, and it is kept once."""
    icd = _icd()
    codes = {c: (c, icd.get_description(c), icd.is_leaf(c)) for c in icd.get_all_codes(with_dots=True)
             if _SHAPE.match(c) and icd.is_category_or_subcategory(c)}
    return list(codes.values())
