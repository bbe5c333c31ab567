"""Serve an ASGI app with uvicorn from a daemon thread, on 127.0.0.1 only."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT_S = 10.0


class ThreadedServer:
    """One uvicorn server in a background thread; ``port`` 0 picks a free port."""

    def __init__(self, app: ASGIApp, *, port: int = 0, name: str = "standin") -> None:
        self.app = app
        self.name = name
        self.requested_port = port
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    def start(self) -> int:
        """Bind, serve, wait until it accepts connections; returns the port."""
        if self.port is not None and self.running:
            return self.port
        sock = socket.create_server(("127.0.0.1", self.requested_port))
        # Accepted sockets inherit this; without it every response waits ~40 ms
        # for a delayed ACK (Nagle), which makes test suites crawl.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        port: int = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                msg = f"{self.name} did not start on 127.0.0.1:{self.requested_port}"
                raise RuntimeError(msg)
            time.sleep(0.01)
        self._server, self._thread, self.port = server, thread, port
        # A restart comes back on the same port, so clients keep their URL.
        self.requested_port = port
        return port

    def stop(self) -> None:
        """Ask uvicorn to exit; force it if requests still hang after 5 s."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)
        self._server = self._thread = None
