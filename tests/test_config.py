"""The committed Streamlit configuration keeps its security settings."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_tracebacks_are_never_shown_in_the_browser():
    assert load()["client"]["showErrorDetails"] == "none"


def test_xsrf_and_cors_protection_stay_on():
    server = load()["server"]
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True


def test_uploads_are_capped_and_the_server_is_headless():
    server = load()["server"]
    # 25 MB for an appointment-history CSV (the public no-show data set is 10.2 MB); documents
    # have their own 10 MB cap.
    assert server["maxUploadSize"] == 25
    assert server["headless"] is True


def test_usage_statistics_are_not_sent():
    assert load()["browser"]["gatherUsageStats"] is False


def test_the_real_secrets_file_is_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored
