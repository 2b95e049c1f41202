"""The media plane: forwards encoded media between a call's participants (aiortc).

No HTTP and no database here. The control plane talks to a ``Relay`` (interface.py)
with plain strings and dicts: ``WorkerPool`` (pool.py) spreads calls over relay worker
processes (worker.py), each running a ``MediaPlane`` (plane.py: a ``LocalRelay``, local.py,
and the recorder of its calls) behind a local channel (channel.py).
"""

from .interface import Relay, RelayError, UnknownParticipantError
from .local import LocalRelay

__all__ = ["LocalRelay", "Relay", "RelayError", "UnknownParticipantError"]
