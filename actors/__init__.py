"""ferrotrade's actor runtime: immutable messages, plain components, and two hosts.

Importing this package has no side effect beyond a ``NullHandler`` on the ``actors`` logger;
import the sub-modules you need (``actors.messages``, ``actors.runtime``, ``actors.host``...).
"""

from __future__ import annotations

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__: list[str] = []
