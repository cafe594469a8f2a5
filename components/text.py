"""Showing user-typed text safely inside Markdown.

Streamlit escapes HTML in ``st.markdown`` (we never pass ``unsafe_allow_html``), but Markdown
syntax in a name such as ``*Ann*`` or ``[x](y)`` would still be interpreted. ``md`` escapes
it so the text is shown exactly as typed.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))
