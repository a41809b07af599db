"""Hosts run components: :class:`DeterministicHost` (one thread) and :class:`PykkaHost` (one
``pykka.ThreadingActor`` per component). Import them from their modules; importing this package
does not import pykka."""

from __future__ import annotations

__all__: list[str] = []
