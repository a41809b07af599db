"""Logging actor: every message as one JSON line, buffered, nothing lost at stop."""

from actors.logger.component import LoggingComponent

__all__ = ["LoggingComponent"]
