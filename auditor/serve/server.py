"""Run the app: a socket on 127.0.0.1 only, a token, a temporary folder removed at exit.

The socket is bound here, before the server starts, so the address printed (and opened in the
browser) is the real one even for ``--port 0``; uvicorn then serves on that socket. The jobs'
files live in one temporary folder (mode 0700) that is removed when the server stops, however
it stops short of being killed outright (Ctrl+C, SIGTERM, or its terminal closed: SIGHUP).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import tempfile
import threading
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from .security import new_token
from .uploads import MAX_UPLOAD

__all__ = ["serve", "HOST"]

#: The only address the app listens on.
HOST = "127.0.0.1"


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {HOST}:{port}: {exc.strerror}",
                         hint="choose another --port, or 0 for any free one") from None
    sock.listen(64)
    return sock


#: The signals that stop the app, its folder removed: Ctrl+C, a kill, the terminal closed.
_STOP = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
              if hasattr(signal, name))


def _server(config: Any) -> Any:
    """A uvicorn server that stops on SIGINT/SIGTERM/SIGHUP and returns (uvicorn's own handles
    only the first two, and re-raises the signal once stopped, which would end the process
    before the temporary folder is removed; SIGHUP, the terminal closed, ended it at once).
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            kept = {s: signal.signal(s, self.handle_exit) for s in _STOP}
            try:
                yield
            finally:
                for sig, handler in kept.items():
                    signal.signal(sig, handler)

    return Server(config)


def serve(*, port: int = 0, open_browser: bool = True, max_upload: int = MAX_UPLOAD,
          echo: Callable[[str], None] = print) -> None:
    """Serve the app until interrupted (Ctrl+C or SIGTERM); print its address first.

    Parameters
    ----------
    port
        The port on 127.0.0.1 (0: any free one).
    open_browser
        Open the address in the default browser (:func:`webbrowser.open`).
    max_upload
        The largest upload accepted (bytes).
    echo
        Where the address and the temporary folder are told.
    """
    import uvicorn

    from .app import make_app

    sock = _bind(port)
    token = new_token()
    root = Path(tempfile.mkdtemp(prefix="auditor-serve-"))
    try:
        url = f"http://{HOST}:{sock.getsockname()[1]}/?token={token}"
        config = uvicorn.Config(make_app(root, token, max_upload=max_upload), log_level="warning",
                                access_log=False, server_header=False, date_header=False)
        server = _server(config)
        echo("auditor is running on this computer only. Open this address in a browser:\n"
             f"    {url}\n"
             f"Files you give it are kept in {root} and removed when it stops.\n"
             "Press Ctrl+C to stop.")
        if open_browser:
            webbrowser.open(url)
        server.run(sockets=[sock])
    finally:
        sock.close()
        shutil.rmtree(root, ignore_errors=True)
