# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmark scripts that start daemons share: the build folder argument."""

import argparse
import os

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parser_with_build(description=None):
    """An argument parser whose first, optional argument is the build folder (default: build)."""
    parser = argparse.ArgumentParser(description=description)
    # Absolute: the configs a script writes name the guest's kernel by it, and the daemon
    # reads a relative path in a config from the config's own folder.
    parser.add_argument("build", nargs="?", type=os.path.abspath, default=os.path.join(SOURCE, "build"))
    return parser
