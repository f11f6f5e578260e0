"""``auditor serve``: a local web app for people who do not use a terminal.

The app is a front end like the command line: its pages call the library functions the
commands call (the scan, the report's renderings, the session record's parser, the bundle's
verifier, the comparison), and add no check of their own. It listens on 127.0.0.1 only, behind
a random token (:mod:`.security`); uploads are streamed into one folder per job and capped
(:mod:`.uploads`); work runs in the background with progress and a cancel (:mod:`.jobs`,
:mod:`.work`); the session record can be filled in a form (:mod:`.forms`); the routes are in
:mod:`.app`, the server in :mod:`.server`.
"""

from .server import HOST, serve

__all__ = ["HOST", "serve"]
