"""The media plane: forwards encoded media between a call's participants (aiortc).

No HTTP and no database here. The control plane talks to a ``Relay`` (interface.py)
with plain strings and dicts: ``WorkerPool`` (pool.py) spreads calls over relay worker
processes (worker.py), each running a ``MediaPlane`` (plane.py: a ``LocalRelay``, local.py,
and the recorder of its calls) behind a local channel (channel.py).

Importing this package (or the interface) loads no aiortc: only the worker processes
import ``local`` and what it needs. Import ``LocalRelay`` from ``server.relay.local``.
"""

from .interface import AGENT_CAMERA, Relay, RelayError, UnknownParticipantError

__all__ = ["AGENT_CAMERA", "Relay", "RelayError", "UnknownParticipantError"]
