"""The ``navette`` command line: one entry point for every operator task.

It wraps Django's management commands (``navette demo``, ``navette serve``,
``navette import-marc`` ...). Dashes and underscores are interchangeable in
command names.
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "navette"

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
