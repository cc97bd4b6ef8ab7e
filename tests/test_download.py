"""Dataset download against a local HTTP server: good, truncated and corrupted files."""
from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from naslib_anb.data import source
from naslib_anb.errors import ChecksumMismatchError, CorruptDataError, DataError, DataNotFoundError

PAYLOAD = b"tarball bytes " * 5000
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/good":
            body, length = PAYLOAD, len(PAYLOAD)
        elif self.path == "/truncated":
            body, length = PAYLOAD[:1000], len(PAYLOAD)  # promises more than it sends
        elif self.path == "/corrupt":
            body = bytearray(PAYLOAD)
            body[10] ^= 0xFF
            body, length = bytes(body), len(body)
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_good_download_is_verified_and_atomic(server, tmp_path):
    dest = tmp_path / "cache" / "anb.tar.gz"
    out = source.download(f"{server}/good", dest, sha256=SHA, progress=False, timeout=5)
    assert out == dest and dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == ["anb.tar.gz"]


def test_truncated_download_leaves_nothing(server, tmp_path):
    dest = tmp_path / "anb.tar.gz"
    with pytest.raises(CorruptDataError, match="truncated|broke off"):
        source.download(f"{server}/truncated", dest, sha256=SHA, progress=False, timeout=5)
    assert _leftovers(tmp_path) == []


def test_corrupt_download_fails_checksum_and_keeps_old_file(server, tmp_path):
    dest = tmp_path / "anb.tar.gz"
    dest.write_bytes(b"previous good copy")
    with pytest.raises(ChecksumMismatchError) as info:
        source.download(f"{server}/corrupt", dest, sha256=SHA, progress=False, timeout=5)
    assert info.value.expected == SHA
    assert dest.read_bytes() == b"previous good copy"
    assert _leftovers(tmp_path) == ["anb.tar.gz"]


def test_http_error_is_typed(server, tmp_path):
    with pytest.raises(DataError, match="could not download"):
        source.download(f"{server}/missing", tmp_path / "x", sha256=SHA, progress=False, timeout=5)
    assert _leftovers(tmp_path) == []


def test_resolution_order(monkeypatch, tmp_path, anb_data_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(source.ENV_VAR, raising=False)
    monkeypatch.setattr(source, "checkout_data_dir", lambda: tmp_path / "beside")
    with pytest.raises(DataNotFoundError, match="NASLIB_ANB_DATA"):
        source.resolve_data_path(allow_download=False)
    cached = tmp_path / "xdg" / "naslib_anb" / source.TARBALL_NAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert source.resolve_data_path(allow_download=False) == cached
    monkeypatch.setenv(source.ENV_VAR, str(anb_data_path))
    assert source.resolve_data_path(allow_download=False) == anb_data_path
    assert source.resolve_data_path(anb_data_path.parent) in (anb_data_path, anb_data_path.parent)
    monkeypatch.setenv(source.ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(DataNotFoundError, match="NASLIB_ANB_DATA"):
        source.resolve_data_path()


def test_pinned_source_constants():
    assert source.UPSTREAM_COMMIT in source.TARBALL_URL
    assert source.TARBALL_SHA256 == "3520992d42e368b7c08c99fc3f6612855b5b366bf98668a7f19d49f3131aa4ae"


def test_shared_tarball_matches_pin(anb_data_path):
    if anb_data_path.is_file():
        assert source.sha256_of(anb_data_path) == source.TARBALL_SHA256
