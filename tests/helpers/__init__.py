"""Helpers the tests (and the benches) share; fixtures live in the conftests, built on
these. No test module imports another test module or a conftest.

- ``waiting``: ``wait_until`` / ``async_wait_until`` / ``wait_in_thread`` / ``poll_until``
  and ``NotYet``, instead of sleeping.
- ``servers``: ``make_settings`` (test settings), ``start_live_server`` / ``LiveServer``
  (a real server in a thread), ``served`` (``showdesk serve`` in a process),
  ``free_port``, ``TEST_SECRET_KEY``.
- ``accounts``: ``PASSWORD``, ``add_user``, ``create_account``, ``login``.
- ``links``: ``make_link``, ``create_link_in``.
- ``people``: ``Person`` (one identity's cookies on a shared TestClient), ``staff``, ``buyer``.
- ``images``: ``image_bytes``.
- ``ws``: the signaling socket: ``HELLO``, ``ws_url``, ``staff_cookie``, ``buyer_cookie``,
  ``recv_type``, ``send_quietly``, ``closed_with``.
- ``clips``: pre-encoded VP8 and Opus (``vp8_clip``, ``vp8_clip_of``, ``opus_clip``,
  ``encode_vp8``).
- ``peers``: the fake aiortc participants: ``Client`` (plays clips, receives without
  decoding; also the benches'), ``ClipTrack``, ``Capture``, ``KeyframeSpy``,
  ``UplinkLoss``, and ``Peer`` / ``ColourBars`` (encodes and decodes).
- ``calls``: a call through the real protocol: ``live_call``, ``answer_call``,
  ``call_clients``, ``engine_cookies``.
- ``recordings``: a call's rows and track files: ``recordings_of``, ``all_ready``,
  ``wait_recorded``, ``runs_of_sent``, ``decoded_video``, ...
- ``chromium``: ``CHROMIUM``, ``CHROMIUM_ARGS``, ``launch_chromium``, ``Participant``,
  ``new_participant``, ``OpenParticipant``.
- ``browser_steps``: ``sign_in``, ``go_available``, ``start_call``, ``remote_video``,
  ``agent_sees_bars``, ``SAMPLE_VIDEO_JS``, ``COUNT_FRAMES_JS``.
- ``y4m``: the fake camera's clip (colour bars).
- ``impairment``: ``ImpairmentProxy`` / ``Impairment``, a degraded link (delay, loss, a
  rate cap per direction, blackouts) between one browser page and the server's media.
- ``postgres``: a throwaway PostgreSQL server, ``fresh_database``.
- ``routes``: the app's routes flattened.
"""
