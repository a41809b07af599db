"""The compiled core is a real shared library under its private name, and its stubs exist."""

from __future__ import annotations

from pathlib import Path

import ferrotrade
from ferrotrade import _ferrotrade_core


def test_extension_is_a_shared_library_not_a_namespace_package() -> None:
    path = Path(_ferrotrade_core.__file__ or "")
    assert path.suffix in {".so", ".pyd"}, path
    assert path.read_bytes()[:4] in {b"\x7fELF", b"MZ\x90\x00"}


def test_stubs_and_marker_ship_beside_the_package() -> None:
    package = Path(ferrotrade.__file__).parent
    assert (package / "_ferrotrade_core.pyi").is_file()
    assert (package / "py.typed").is_file()


def test_public_names_are_reexported() -> None:
    assert ferrotrade.MatchingEngine is _ferrotrade_core.MatchingEngine
    assert ferrotrade.__version__ == _ferrotrade_core.__version__
