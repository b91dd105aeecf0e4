"""`python -m engine` is the `syllog` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
