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
- ``firefox``: Firefox ESR through ``firefox_driver.mjs`` (Node, puppeteer-core):
  ``launch_firefox``, ``Firefox.participant``, ``FirefoxPage`` (Playwright's ``Page``
  calls the helpers use), ``FirefoxParticipant``, ``OpenFirefox``.
- ``webkit``: WebKit (Safari's engine): ``launch_webkit`` (Xvfb, WebKitWebDriver and a
  MiniBrowser session, through Selenium), ``WebKitPage`` (Playwright's ``Page`` calls the
  helpers use), ``NARROWEST_WIDTH``.
- ``firefox_steps``: ``available_firefox_agent``, ``sees_firefox_camera`` (its fake
  camera's changing colour, in either engine), ``receives_audio`` (getStats).
- ``page_js``: scripts every engine runs: ``TRACK_PEERS_INIT_JS`` / ``RTC_STATS_JS`` (the
  page's peer connections and their getStats), ``LISTEN_JS`` (an ``AnalyserNode``),
  ``by_testid`` (the CSS selector of a ``data-testid``).
- ``codec_devices``: ``only_video_codecs_js`` (an init script: a Chromium page whose
  browser offers only some video codecs, e.g. only H.264, or ``FIREFOX_LIKE``).
- ``browser_steps``: ``sign_in``, ``go_available``, ``start_call``, ``remote_video``,
  ``agent_sees_bars``, ``SAMPLE_VIDEO_JS``, ``COUNT_FRAMES_JS``, ``frames_presented``.
- ``y4m``: the fake camera's clip (colour bars).
- ``impairment``: ``ImpairmentProxy`` / ``Impairment``, a degraded link (delay, loss, a
  rate cap per direction, blackouts) between one browser page and the server's media.
- ``postgres``: a throwaway PostgreSQL server, ``fresh_database``.
- ``routes``: the app's routes flattened.
"""
