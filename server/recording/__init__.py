"""Call recording: each track's encoded frames appended to a file of its own as they
arrive (no transcoding, writes in a thread), and one playable review file per call made
after the call in a separate process.

- ``recorder.py``: ``Recorder``, on the event loop: subscribes to a live call's tracks
  and hands their frames to the writer thread.
- ``muxer.py``: ``MuxThread``, the one thread that muxes and writes track files.
- ``probe.py``: facts about a finished (or cut-off) file: size, duration, sha256.
- ``review.py``: makes the review file (run as ``python -m server.recording.review``).
- ``jobs.py``: ``ReviewJobs`` (one review process at a time, progress in the database)
  and ``recover_interrupted`` (calls a dead process left open).
- ``catalog.py``: plain functions the review API reads.
"""

from server.recording.catalog import (
    list_recordings,
    open_for_reading,
    review_recording,
    track_recordings,
)
from server.recording.jobs import ReviewJobs, recover_interrupted
from server.recording.recorder import Recorder

__all__ = [
    "Recorder",
    "ReviewJobs",
    "list_recordings",
    "open_for_reading",
    "recover_interrupted",
    "review_recording",
    "track_recordings",
]
