"""The committed Streamlit configuration keeps its security settings."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

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


def test_the_server_does_not_collect_all_garbage_after_every_run():
    # Streamlit's default walks the whole heap after each rerun: more CPU than the page itself.
    assert load()["runner"]["postScriptGC"] is False


def test_the_real_secrets_file_is_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored


def test_a_plain_streamlit_run_listens_on_loopback_only():
    # Streamlit's own default is every interface, over plain HTTP. `make run` and the browser tests
    # pass --server.address themselves; this is what a bare `streamlit run app.py` gets.
    assert load()["server"]["address"] == "127.0.0.1"


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs the git work tree")
def test_git_ignores_the_real_secrets_but_tracks_the_example():
    # check-ignore exits 0 when the path is ignored, 1 when it is not.
    assert _git("check-ignore", "-q", ".streamlit/secrets.toml").returncode == 0
    assert _git("check-ignore", "-q", ".streamlit/secrets.toml.example").returncode == 1
    assert _git("ls-files", "--error-unmatch", ".streamlit/secrets.toml.example").returncode == 0


def _listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port``, read from Linux's /proc/net."""
    found = set()
    for table in ("tcp", "tcp6"):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, port_hex = local.rsplit(":", 1)
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # /proc/net prints each 32-bit word in host (little-endian) order.
            words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
            found.add(socket.inet_ntop(family, words))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads listening sockets from Linux's /proc/net")
def test_streamlit_started_without_an_address_listens_on_loopback_only(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["CLINICDESK_DB"] = str(tmp_path / "clinic.duckdb")
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    log = tmp_path / "streamlit.log"
    with log.open("w") as out:
        server = subprocess.Popen([streamlit, "run", str(ROOT / "app.py"), "--server.port", str(port)],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        addresses: set[str] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            addresses = _listening_addresses(port)
            if addresses:
                break
            time.sleep(0.2)
        assert addresses == {"127.0.0.1"}, log.read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as answer:
            assert answer.status == 200
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}" in printed
        # With no address set, a headless Streamlit asks a public service for the machine's
        # external IP address and prints an "External URL".
        assert "External URL" not in printed and "Network URL" not in printed
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
