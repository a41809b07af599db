"""Reporting actor: a JSON-able run report from portfolio, risk and trade history snapshots."""

from actors.reporting.component import ReportingComponent

__all__ = ["ReportingComponent"]
