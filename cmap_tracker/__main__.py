"""``python -m cmap_tracker``: the maintainer's command line (``cmap_tracker.cli``)."""

from .cli import main

raise SystemExit(main())
