"""The media plane: forwards encoded media between a call's participants (aiortc).

No HTTP and no database here. The control plane talks to a ``Relay`` (interface.py)
with plain strings and dicts; ``LocalRelay`` (local.py) runs it in this process.
"""

from .interface import Relay, RelayError, UnknownParticipantError
from .local import LocalRelay

__all__ = ["LocalRelay", "Relay", "RelayError", "UnknownParticipantError"]
