"""``auditor serve``: the local web app."""

from __future__ import annotations

import click

from .bundle import ByteSize

__all__ = ["serve"]


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; only print the address.")
@click.option("--max-upload", type=ByteSize(), default="8G", show_default=True,
              help="Refuse an upload larger than this (a whole hearing's WAV files fit).")
def serve(port: int, no_browser: bool, max_upload: int) -> None:
    """Start the local app: check hearings in a browser, with nothing leaving this computer.

    It listens on 127.0.0.1 only and prints its address with a random access token (as
    Jupyter does); without the token every page is refused. The files you give it are kept in
    a temporary folder removed when it stops (Ctrl+C).

    \b
    Example:
      auditor serve
      auditor serve --port 8800 --no-browser
    """
    from ..serve import serve as run

    run(port=port, open_browser=not no_browser, max_upload=max_upload,
        echo=lambda text: click.echo(text))
