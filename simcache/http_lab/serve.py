"""The web app served on a free loopback port, in a thread of this process (for nginx)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..private import _RUNNING, START_TIMEOUT_S, PrivateServerError, free_port


class AppServer:
    """``app`` (an ASGI application) served by uvicorn on ``127.0.0.1:port`` in a daemon
    thread; stopped by :meth:`stop` or at interpreter exit, with the private servers."""

    def __init__(self, app: Any, port: int | None = None):
        self.app = app
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = START_TIMEOUT_S) -> AppServer:
        import uvicorn

        self.port = self.port or free_port()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                log_level="error", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True,
                                        name=f"simcache-app-{self.port}")
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise PrivateServerError(f"the web app did not start on 127.0.0.1:{self.port}")
            time.sleep(0.01)
        _RUNNING.add(self)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None
        _RUNNING.discard(self)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

