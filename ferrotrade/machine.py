"""A description of the machine and toolchain, printed beside every benchmark figure."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from ferrotrade._ferrotrade_core import __version__

__all__ = ["describe_machine"]


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _rustc_version() -> str:
    rustc = shutil.which("rustc")
    if rustc is None:
        return "unknown"
    out = subprocess.run([rustc, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def describe_machine() -> dict[str, str | int]:
    """CPU, core count, OS, Python, rustc and ferrotrade versions."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "rustc": _rustc_version(),
        "ferrotrade": __version__,
    }
