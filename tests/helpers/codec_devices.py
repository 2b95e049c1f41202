"""Devices whose browsers offer only some video codecs, emulated in Chromium (which has
VP8, VP9, H.264 and AV1): a phone whose browser has only H.264, or a browser like
Debian's Firefox, which has VP8, VP9 and AV1 but no H.264 (OpenH264 is a download).

``only_video_codecs_js(names)`` is an init script (Playwright ``add_init_script``, before
the page's own scripts) that makes the page's browser behave as such a device: the video
codecs ``RTCRtpSender.getCapabilities`` / ``RTCRtpReceiver.getCapabilities`` list are
only ``names`` (plus the retransmission and error-correction entries that go with any
codec), ``setCodecPreferences`` drops the others from what it is given, and every video
transceiver starts with those preferences, so its offer carries only ``names`` whether the
page sets preferences or not. The page's own code runs unchanged."""

from __future__ import annotations

import json

# entries that are no codec of their own: kept whatever the device has
_COMPANIONS = ("rtx", "red", "ulpfec", "flexfec-03")

_TEMPLATE = """
(() => {
  const names = __NAMES__;
  const companions = __COMPANIONS__;
  const keep = (codec) => {
    const [kind, name] = codec.mimeType.toLowerCase().split("/");
    return kind !== "video" || names.includes(name) || companions.includes(name);
  };
  for (const cls of [window.RTCRtpSender, window.RTCRtpReceiver]) {
    if (!cls || !cls.getCapabilities) continue;
    const original = cls.getCapabilities.bind(cls);
    cls.getCapabilities = (kind) => {
      const caps = original(kind);
      return caps && kind === "video" ? { ...caps, codecs: caps.codecs.filter(keep) } : caps;
    };
  }
  const Transceiver = window.RTCRtpTransceiver;
  if (!Transceiver || !Transceiver.prototype.setCodecPreferences) return;
  const setPreferences = Transceiver.prototype.setCodecPreferences;
  Transceiver.prototype.setCodecPreferences = function (codecs) {
    return setPreferences.call(this, (codecs || []).filter(keep));
  };
  const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function (...args) {
    const transceiver = addTransceiver.apply(this, args);
    const kind = typeof args[0] === "string" ? args[0] : args[0] && args[0].kind;
    if (kind === "video") {
      setPreferences.call(transceiver, RTCRtpReceiver.getCapabilities("video").codecs);
    }
    return transceiver;
  };
})();
"""

FIREFOX_LIKE = ("VP8", "VP9", "AV1")  # Debian's Firefox ESR without OpenH264


def only_video_codecs_js(names: tuple[str, ...] | list[str]) -> str:
    """The init script for a device whose browser offers only the video codecs ``names``
    (e.g. ``("H264",)``; see the module docstring)."""
    return _TEMPLATE.replace("__NAMES__", json.dumps([n.lower() for n in names])).replace(
        "__COMPANIONS__", json.dumps(list(_COMPANIONS))
    )
