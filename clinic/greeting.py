"""How the app greets a signed-in user by name: "Hello, Maya" for Maya Torres, "Hello, Dr. Okafor"
for Dr. Amara Okafor — never a bare title such as "Hello, Dr.". Pure."""

from __future__ import annotations

from typing import Final

# Courtesy titles a full name may start with (compared without case and trailing dot).
TITLES: Final = frozenset({"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "rev", "fr"})
# Titles written abbreviated, with a dot: "Dr Okafor" is greeted as "Dr. Okafor".
ABBREVIATED: Final = frozenset({"dr", "prof", "mr", "mrs", "ms", "mx", "rev", "fr"})
# Letters after a name that are not part of it ("Amara Okafor MD", "Daniel Reyes NP").
CREDENTIALS: Final = frozenset({"md", "do", "np", "rn", "pa", "pa-c", "phd", "dds", "dmd", "lpn", "ma", "fnp",
                                "dnp", "jr", "sr", "ii", "iii", "iv"})


def _bare(word: str) -> str:
    return word.casefold().strip(".")


def greeting_name(full_name: str | None) -> str:
    """The name to greet with: the first name, or title and surname when the name starts with a
    title. Credentials after a comma or at the end are dropped. "" when nothing usable is left
    (the page then says just "Hello")."""
    name = (full_name or "").split(",")[0]
    words = [w for w in name.split() if w]
    while words and _bare(words[-1]) in CREDENTIALS:
        words.pop()
    if not words:
        return ""
    if _bare(words[0]) not in TITLES:
        return words[0]
    title, rest = words[0], words[1:]
    if not rest:
        return ""
    if _bare(title) in ABBREVIATED and not title.endswith("."):
        title += "."
    surname = " ".join(rest[1:]) if len(rest) > 1 else rest[0]
    return f"{title} {surname}"
