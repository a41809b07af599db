"""``actors`` and ``strategies`` are generic import names: importing them must do nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_import_has_no_side_effects() -> None:
    script = textwrap.dedent(
        """
        import logging, sys, threading
        before = threading.active_count()
        import actors, actors.messages, actors.component, strategies, strategies.base
        assert "pykka" not in sys.modules, "importing messages/components must not load pykka"
        import actors.runtime, actors.bench, actors.testing
        assert threading.active_count() == before
        handlers = logging.getLogger("actors").handlers
        assert [type(h).__name__ for h in handlers] == ["NullHandler"], handlers
        assert sys.getswitchinterval() == 0.005
        print("ok")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
