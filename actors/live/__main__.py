"""``python -m actors.live``: the same as ``ferrotrade live``."""

from actors.live.cli import main

raise SystemExit(main())
