"""The HTML report, rendered by headless Chromium (Debian's ``chromium`` package).

CI installs it with ``apt-get update && apt-get install -y chromium``; without it these tests
skip with that instruction. Chromium loads the file with networking blocked by a proxy that
does not exist, so a page that needed the network would show up broken.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from actors.backtest import BacktestConfig, BacktestEngine
from actors.data.bars import load_demo_bars
from actors.reporting.html import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (CI: apt-get update && apt-get install -y chromium)",
)

WIDTH, HEIGHT = 1200, 1600


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    cfg = BacktestConfig(strategy="sma_cross", params={"fast": 10, "slow": 30})
    return BacktestEngine(cfg).run(load_demo_bars(["AAPL", "MSFT"]))


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--hide-scrollbars",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",  # any network access would fail
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, timeout=120, check=True)


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG into rows of RGB(A) bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8
            assert color in (2, 6)
            assert interlace == 0
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, stride, bpp)]


def test_the_report_renders_its_charts_and_tables(tmp_path: Path, results: dict[str, Any]) -> None:
    page, data = write_report(results, tmp_path / "out", {"host": "deterministic"})
    assert data.exists()
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri()).stdout.decode()
    assert 'id="equity-chart"' in dom
    assert 'id="drawdown-chart"' in dom
    assert dom.count('class="series"') == 2
    assert 'class="area"' in dom
    assert dom.count('class="trade"') == results["total_trades"]
    assert 'id="monthly-returns"' in dom
    assert dom.count('class="month"') >= 50
    assert 'id="metrics"' in dom
    assert "Sharpe ratio" in dom

    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    width, height, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    colors = set(pixels)
    assert len(colors) > 50, "the screenshot is (nearly) blank"

    def near(rgb: tuple[int, int, int], tol: int = 40) -> int:
        return sum(
            1 for p in pixels if abs(p[0] - rgb[0]) + abs(p[1] - rgb[1]) + abs(p[2] - rgb[2]) < tol
        )

    assert near((0x09, 0x69, 0xDA)) > 500, "no equity line drawn"  # the equity curve's blue
    assert near((0xCF, 0x22, 0x2E)) > 300, "no drawdown drawn"  # the drawdown's red
