"""Call recording: each track's encoded frames appended to a file of its own as they
arrive (no transcoding, writes in a thread), and one playable review file per call made
after the call in a separate process.

- ``recorder.py``: ``Recorder``, on a relay worker's event loop: subscribes to a live
  call's tracks and hands their frames to the writer thread.
- ``rows.py``: the recorder's reports as ``Recording`` row changes (control plane).
- ``muxer.py``: ``MuxThread``, the one thread that muxes and writes track files.
- ``probe.py``: facts about a finished (or cut-off) file: size, duration, sha256.
- ``review.py``: makes the review file (run as ``python -m server.recording.review``).
- ``jobs.py``: ``ReviewJobs`` (one review process at a time, progress in the database)
  and ``recover_interrupted`` (calls a dead process left open).

The review API reads the ``Recording`` rows through ``server/evidence/recordings.py``.

Nothing is imported here: a relay worker imports only what it runs (recorder, muxer,
probe, names), not the database layer that the control plane's modules need.
"""
