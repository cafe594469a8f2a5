"""Showing user-typed text safely inside Markdown.

Streamlit escapes HTML in ``st.markdown`` (we never pass ``unsafe_allow_html``), but Markdown
syntax in a name such as ``*Ann*``, ``[x](y)`` or ``![](http://…)`` (an image the browser would
fetch: a web beacon) would still be interpreted. ``md`` escapes it so the text is shown exactly
as typed.

Escaping is not enough for bare addresses: Streamlit's Markdown (remark-gfm) finds
``http://…``, ``www.…`` and ``name@host.org`` in the text after escapes are resolved and makes
them live links. ``md`` puts an invisible WORD JOINER (U+2060) after the ``:`` of ``://``, after
``www`` and after ``@``, which those patterns do not match: the text reads the same, no link.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&@])")
_LINKABLE = re.compile(r"(?i)(?::(?=//)|www(?=\.)|@)")
WORD_JOINER = "\u2060"


def md(text: object) -> str:
    unlinked = _LINKABLE.sub(lambda m: m.group(0) + WORD_JOINER, "" if text is None else str(text))
    return _MD_SPECIAL.sub(r"\\\1", unlinked)
