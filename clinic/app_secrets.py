"""Secrets kept outside the database: ``secrets.toml`` and the audit trail's key in it.

The file is ``.streamlit/secrets.toml`` beside the app (never committed), or the file named by
the environment variable ``CLINICDESK_SECRETS`` (tests point it at a temporary file). Streamlit
reads the same file for its own settings (``st.secrets``, single sign-on); this module reads it
with :mod:`tomllib` so that ``db/`` and ``manage.py`` need no Streamlit.

The audit key signs the audit trail (``db/audit_chain.py``). Whoever holds it can re-sign an
edited trail, so it must not live in the database it protects: a copy of the database alone
cannot be altered undetectably. Lose it and the trail can no longer be checked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import threading
import tomllib
from pathlib import Path

from clinic.errors import ClinicError

ENV_VAR = "CLINICDESK_SECRETS"
KEY_NAME = "audit_key"
_ROOT = Path(__file__).resolve().parent.parent
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
# A table header ("[auth]", "[[x]]") starts a section: a key written after it is not top-level.
_TABLE_HEADER = re.compile(r"^\s*\[", re.MULTILINE)

_keys: dict[str, bytes] = {}
_lock = threading.Lock()


class SecretsProblem(ClinicError):
    default_message = "The secrets file cannot be used."


def secrets_path() -> Path:
    """The secrets file: ``$CLINICDESK_SECRETS`` when set, else ``<app>/.streamlit/secrets.toml``."""
    named = os.environ.get(ENV_VAR, "").strip()
    return Path(named).expanduser() if named else _ROOT / ".streamlit" / "secrets.toml"


def audit_key(create: bool = True) -> bytes:
    """The audit trail's HMAC key (32 bytes, stored as hex under the top-level ``audit_key``).

    When the file or the key is missing and ``create`` is true, a new key is generated and added
    to the file (created 0600 if missing; an existing file keeps every line it had). With
    ``create`` false a missing key raises :class:`SecretsProblem`. Cached per file in the process.
    """
    path = secrets_path()
    cache_key = str(path)
    with _lock:
        key = _keys.get(cache_key)
        if key is None:
            key = _read_key(path)
            if key is None:
                if not create:
                    raise SecretsProblem(
                        f"There is no {KEY_NAME} in {path}, so the audit trail cannot be checked. "
                        "Use the secrets file the clinic's app runs with (set CLINICDESK_SECRETS), "
                        "or run `python manage.py init` to make a new key for a new database.")
                key = _add_key(path)
            _keys[cache_key] = key
        return key


def forget_cached_keys() -> None:
    """Drop the in-process cache (tests that swap the secrets file)."""
    with _lock:
        _keys.clear()


def _parse(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SecretsProblem(f"{path} is not valid TOML ({exc}); fix it by hand, nothing was changed.") from None


def _key_from(path: Path, data: dict) -> bytes | None:
    value = data.get(KEY_NAME)
    if value is None:
        return None
    if not isinstance(value, str) or not _HEX.fullmatch(value.strip()) or len(value.strip()) % 2:
        raise SecretsProblem(f"{KEY_NAME} in {path} must be a hex string of at least 32 digits "
                             "(python -c 'import secrets; print(secrets.token_hex(32))').")
    return bytes.fromhex(value.strip())


def _read_key(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return _key_from(path, _parse(path, text))


def _add_key(path: Path) -> bytes:
    """Generate a key and write it into ``path`` without touching anything else in it.

    Locked against another process doing the same (``manage.py init`` beside a starting app):
    whoever comes second finds the first one's key and uses it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read()
        data = _parse(path, text)
        found = _key_from(path, data)
        if found is not None:
            return found
        hex_key = secrets.token_hex(32)
        line = f'{KEY_NAME} = "{hex_key}"  # signs the audit trail: keep it, back it up, never commit it\n'
        header = _TABLE_HEADER.search(text)
        if header is None:
            # No sections: appending keeps the key at the top level.
            handle.write(("" if not text or text.endswith("\n") else "\n") + line)
            handle.flush()
            os.fsync(handle.fileno())
        else:
            # After a [section] header a key would belong to that section: put it before the first.
            new_text = text[:header.start()] + line + text[header.start():]
            if {k: v for k, v in _parse(path, new_text).items() if k != KEY_NAME} != data:
                raise SecretsProblem(f"Could not add {KEY_NAME} to {path} safely: add it by hand "
                                     f'({KEY_NAME} = "<64 hex digits>" before the first [section]).')
            _replace(path, new_text)
    return bytes.fromhex(hex_key)


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = path.stat().st_mode & 0o777
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
