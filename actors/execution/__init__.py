"""Execution actor: order commands to a venue port, order events back."""

from actors.execution.component import ExecutionComponent
from actors.execution.orders import ORDER_TRANSITIONS, OrderStatus
from actors.execution.venue import FillModel, SimulatedVenue, Stamper, VenueConfig, VenuePort

__all__ = [
    "ORDER_TRANSITIONS",
    "ExecutionComponent",
    "FillModel",
    "OrderStatus",
    "SimulatedVenue",
    "Stamper",
    "VenueConfig",
    "VenuePort",
]
