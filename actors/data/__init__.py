"""Data actor: validates market data and publishes snapshots."""

from actors.data.component import DataComponent, ScriptedSource

__all__ = ["DataComponent", "ScriptedSource"]
