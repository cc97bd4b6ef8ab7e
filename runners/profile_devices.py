#!/usr/bin/env python
"""Device profiling runner: ``python runners/profile_devices.py run --archs b0 --out prof/`` (see docs/profiling.md).

The same as ``naslib-anb profile ...``, without loading the other subcommands.
"""
import sys

from naslib_anb.cli.profile_cmd import main

if __name__ == "__main__":
    sys.exit(main())
