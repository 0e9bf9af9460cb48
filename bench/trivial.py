"""A server that does nothing, on the reference platform's own web stack: the reference for
the sync drain. `python -m bench.trivial` prints its URL and serves until terminated.

It reads each request's body to the end and answers 200 with as many bytes as the request's
`X-Bench-Reply` header asks (the size the platform answered when the request was recorded),
so a replay moves the same bytes both ways and leaves out only the platform's work. The
stack follows the platform server: the standard library's threading `http.server` (HTTP/1.1
keep-alive, TCP_NODELAY, as `offline.lan_http` sets it up), or uvicorn with a bare ASGI app
when the platform is served by uvicorn.
"""

from __future__ import annotations

import inspect
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLY = "X-Bench-Reply"


def platform_stack() -> str:
    """ "uvicorn" when the reference platform runs under uvicorn, else "http.server"."""
    import offline.platform.server as server

    served = "uvicorn" in sys.modules or "uvicorn" in inspect.getsource(server)
    return "uvicorn" if served else "http.server"


class Nothing(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"\0" * int(self.headers.get(REPLY) or 0)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _answer


async def nothing(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The same as `Nothing`, as a bare ASGI app."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    asked = dict(scope["headers"]).get(REPLY.lower().encode(), b"0")
    body = b"\0" * int(asked)
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def main() -> None:
    if platform_stack() == "uvicorn":
        import uvicorn

        sock = socket.create_server(("127.0.0.1", 0))
        print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        config = uvicorn.Config(nothing, log_level="warning", access_log=False)
        uvicorn.Server(config).run(sockets=[sock])
        return
    server = ThreadingHTTPServer(("127.0.0.1", 0), Nothing)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
