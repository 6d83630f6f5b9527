#!/usr/bin/env python3
"""Launcher of the static compiler, the package `mfstatic` next to this file (see its __init__.py
for the protocol).  Node runs `python3 -I -S -B <this file> --serve`; tests run it one-shot.

Only this file's directory goes on sys.path, first: with -I, Python puts neither the script's
directory nor the working directory there, and the checked repository is never on it, so no
module of the repository can stand in for ours (the package imports itself relatively)."""

import os
import sys

if __name__ == "__main__":
    if sys.version_info < (3, 9):
        # Older versions lack parts of ast the package needs; say so once, instead of an
        # internal error per flow.
        sys.stderr.write("mfdag_static needs Python 3.9 or newer; %s is Python %d.%d\n"
                         % (sys.executable, sys.version_info[0], sys.version_info[1]))
        sys.exit(2)
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path[:1] != [here]:
        sys.path.insert(0, here)
    from mfstatic.server import main

    sys.exit(main(sys.argv[1:]))
