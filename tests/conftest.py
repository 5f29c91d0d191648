"""Fixtures shared by the tests: a local HTTP server and an empty data cache, for testing
the online paths offline (pytest finds them here; no import needed)::

    def test_download(cache, server, monkeypatch):
        server.routes["/file.bin"] = b"..."            # or (bytes, content_length)
        url = f"{server.base}/file.bin"
        ...
        assert server.hits == ["/file.bin"]
"""

from __future__ import annotations

import http.server
import threading

import pytest


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, bytes | tuple[bytes, int | None]] = {}
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server wants
        self.hits.append(self.path)
        route = self.routes.get(self.path, b"")
        body, length = route if isinstance(route, tuple) else (route, None)
        if not body:
            self.send_error(404)
            return
        self.send_response(200)
        # A wrong Content-Length (a truncated download) can be served on purpose.
        self.send_header(
            "Content-Length", str(length if length is not None else len(body))
        )
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A local HTTP server: ``server.routes[path] = bytes`` or ``(bytes, content_length)``;
    ``server.hits`` lists the paths asked for; ``server.base`` is its URL."""
    _Handler.routes, _Handler.hits = {}, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.routes, httpd.hits = _Handler.routes, _Handler.hits
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty data cache for each test; the network allowed (tests point URLs locally).
    (It shadows pytest's own ``cache`` fixture under tests/, which no test uses.)"""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    return tmp_path / "cache"
