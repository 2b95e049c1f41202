// One RTCPeerConnection from this page to the Showdesk server (never to the other
// participant). The page offers, the server answers (signaling/PROTOCOL.md, "Media").
// Audio and video transceivers are always sendrecv: the server does not renegotiate, so
// turning the camera on later is a replaceTrack on the existing video sender.
// Video codecs: the server forwards frames as they are, so both sides of a call use one
// codec. The page offers every codec its browser has, the server's choice first: the
// call's codec once the server has fixed it (the call's `video_codec`), else the server's
// order (`rtc_config.video_codecs`); the server answers in the call's codec.

import { watchIceErrors } from "./ice_errors.js";

const RTC_CONFIG_WAIT_MS = 5000; // rtc_config follows welcome at once; never wait longer

/** Ask for camera and/or microphone. `camera` is false, "user" or "environment";
 *  `deviceId` asks for that one camera instead of a facing mode.
 *  Returns {stream, error}: error is "denied", "no-device" or "failed" when it did not work. */
export async function openDevices({ camera, microphone = true, deviceId = null }) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return { stream: null, error: "insecure" };
  }
  // zoom: true asks for the camera's zoom too (Chromium: the camera permission with
  // pan-tilt-zoom); a browser that refuses that part is asked again for the camera alone
  const video = (zoom) =>
    camera
      ? {
          ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: camera } }),
          width: { ideal: 1280 },
          height: { ideal: 720 },
          ...(zoom ? { zoom: true } : {}),
        }
      : false;
  const audio = microphone ? { echoCancellation: true, noiseSuppression: true } : false;
  if (!audio && !camera) return { stream: new MediaStream(), error: null };
  let lastError = null;
  for (const zoom of camera ? [true, false] : [false]) {
    try {
      return { stream: await navigator.mediaDevices.getUserMedia({ audio, video: video(zoom) }), error: null };
    } catch (err) {
      lastError = err;
      if (!(err && err.name === "NotAllowedError")) break;
    }
  }
  const name = lastError && lastError.name;
  if (name === "NotAllowedError" || name === "SecurityError") return { stream: null, error: "denied" };
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return { stream: null, error: "no-device" };
  }
  return { stream: null, error: "failed" };
}

/** How many cameras this device has (labels need a granted permission; the count does not). */
export async function cameraCount() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((d) => d.kind === "videoinput").length;
  } catch {
    return 0;
  }
}

/** The deviceIds of this device's cameras (empty ones, before a permission, left out). */
async function cameraIds() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((d) => d.kind === "videoinput" && d.deviceId).map((d) => d.deviceId);
  } catch {
    return [];
  }
}

/** How much to scale a camera track down so that it is sent at most `maxWidth` wide
 *  (1 = as it is). The camera itself keeps its full resolution, for photos. */
export function sendScale(track, maxWidth) {
  if (!track || !maxWidth) return 1;
  const settings = track.getSettings ? track.getSettings() : {};
  const width = Math.max(settings.width || 0, settings.height || 0);
  return width > maxWidth ? width / maxWidth : 1;
}

export class MediaLink {
  /**
   * @param {import("./signaling.js").Signaling} signaling
   * @param {{onRemoteStream?: (stream: MediaStream) => void, onState?: (state: string) => void,
   *          onIceRefused?: () => void, maxSendWidth?: number}} options  maxSendWidth: the
   *          call video is scaled down to at most this many pixels on its long side (saves
   *          mobile data; photos are taken from the camera at its own resolution);
   *          onIceRefused: the TURN server refused this page's credential (ice_errors.js)
   */
  constructor(signaling, { onRemoteStream, onState, onIceRefused, maxSendWidth = 0 } = {}) {
    this.signaling = signaling;
    this.maxSendWidth = maxSendWidth;
    this.onRemoteStream = onRemoteStream || (() => {});
    this.onState = onState || (() => {});
    this.onIceRefused = onIceRefused || (() => {});
    this.iceServers = [];
    this.videoCodecs = ["VP8", "H264"]; // the server's order, until rtc_config says
    this.callCodec = null; // the call's video codec, once the server has fixed it
    this.iceTransportPolicy = "all";
    this.closes = 0; // counts close(): a start still waiting for its rtc_config gives up
    this.pc = null;
    this.audioSender = null;
    this.videoSender = null;
    this.remoteStream = new MediaStream();
    // each socket gets its own rtc_config (TURN credentials) after welcome, and a fresh
    // one before each call: a connection waits for the socket's first
    let configured = () => {};
    const unconfigured = () => {
      this.configured = new Promise((resolve) => (configured = resolve));
    };
    unconfigured();
    signaling.on("welcome", unconfigured);
    signaling.on("rtc_config", (m) => {
      this.iceServers = Array.isArray(m.ice_servers) ? m.ice_servers : [];
      if (Array.isArray(m.video_codecs) && m.video_codecs.length) this.videoCodecs = m.video_codecs;
      this.iceTransportPolicy = m.ice_transport_policy === "relay" ? "relay" : "all";
      configured();
    });
    signaling.on("answer", (m) => this.acceptAnswer(m.sdp));
  }

  /** Open a new peer connection and offer it (any previous one is closed first).
   *  `videoOnly`: one send-only video transceiver (the agent's phone as the camera). */
  async start({ audioTrack = null, videoTrack = null, videoOnly = false } = {}) {
    this.close();
    const ticket = this.closes;
    await Promise.race([this.configured, new Promise((r) => setTimeout(r, RTC_CONFIG_WAIT_MS))]);
    if (ticket !== this.closes) return; // closed, or started again, meanwhile
    const policy = this.iceTransportPolicy;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: policy });
    this.pc = pc;
    watchIceErrors(pc, {
      policy,
      report: (message) => pc === this.pc && this.signaling.send(message),
      onRefused: () => pc === this.pc && this.onIceRefused(),
    });
    this.remoteStream = new MediaStream();
    const audio = videoOnly ? null : pc.addTransceiver(audioTrack || "audio", { direction: "sendrecv" });
    const video = pc.addTransceiver(videoTrack || "video", {
      direction: videoOnly ? "sendonly" : "sendrecv",
      sendEncodings: [{ scaleResolutionDownBy: sendScale(videoTrack, this.maxSendWidth) }],
    });
    this.audioSender = audio ? audio.sender : null;
    this.videoSender = video.sender;
    preferCodecs(video, this.callCodec ? [this.callCodec, ...this.videoCodecs] : this.videoCodecs);
    pc.addEventListener("track", (event) => {
      if (pc !== this.pc) return;
      const track = event.track;
      const play = () => {
        if (pc !== this.pc || this.remoteStream.getTracks().includes(track)) return;
        // a new stream, so that the <video> takes the added track for sure
        this.remoteStream = new MediaStream([...this.remoteStream.getTracks(), track]);
        this.onRemoteStream(this.remoteStream);
      };
      // A video track joins once its first frame is there: a <video> whose video track
      // has no frames (the other side's camera off, or no video format in common) plays
      // nothing at all, not even the sound beside it.
      if (track.kind === "video" && track.muted) track.addEventListener("unmute", play, { once: true });
      else play();
    });
    pc.addEventListener("icecandidate", (event) => {
      if (pc !== this.pc) return;
      const c = event.candidate;
      this.signaling.send({
        type: "candidate",
        candidate: c && c.candidate
          ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
          : null,
      });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc === this.pc) this.onState(pc.connectionState);
    });
    await pc.setLocalDescription(await pc.createOffer());
    this.signaling.send({ type: "offer", sdp: pc.localDescription.sdp });
  }

  async acceptAnswer(sdp) {
    const pc = this.pc;
    if (!pc || pc.signalingState !== "have-local-offer") return;
    await pc.setRemoteDescription({ type: "answer", sdp });
  }

  /** Put a new camera track (or none) on the existing video sender. */
  async setVideoTrack(track) {
    if (!this.videoSender) return;
    await this.videoSender.replaceTrack(track || null);
    if (track) await this.limitSendSize(track);
  }

  /** Scale the sent video of `track` down to `maxSendWidth` (a new or switched camera). */
  async limitSendSize(track) {
    const sender = this.videoSender;
    if (!sender || !this.maxSendWidth || !sender.getParameters) return;
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) return;
    params.encodings[0].scaleResolutionDownBy = sendScale(track, this.maxSendWidth);
    try {
      await sender.setParameters(params);
    } catch {
      // an older browser: the video is sent as the camera gives it
    }
  }

  async setAudioTrack(track) {
    if (this.audioSender) await this.audioSender.replaceTrack(track || null);
  }

  get active() {
    return this.pc !== null;
  }

  close() {
    this.closes += 1;
    if (this.pc) {
      const pc = this.pc;
      this.pc = null;
      pc.close();
    }
    this.audioSender = null;
    this.videoSender = null;
  }
}

/** Offer the browser's video codecs with `names` ("VP8", "H264") first, in that order,
 *  and the others after them (a browser without the call's codec still offers its own:
 *  the server then answers its audio and tells both sides). */
function preferCodecs(transceiver, names) {
  if (!transceiver.setCodecPreferences || !RTCRtpReceiver.getCapabilities) return;
  const codecs = RTCRtpReceiver.getCapabilities("video").codecs;
  const rank = (c) => {
    const at = names.findIndex((name) => c.mimeType.toLowerCase() === `video/${name}`.toLowerCase());
    return at === -1 ? names.length : at;
  };
  const first = codecs.filter((c) => rank(c) < names.length).sort((a, b) => rank(a) - rank(b));
  if (!first.length) return;
  const rest = codecs.filter((c) => rank(c) === names.length);
  try {
    transceiver.setCodecPreferences([...first, ...rest]);
  } catch {
    // an older browser: its default order is used, the server picks the codec
  }
}

/** Play a stream in a <video>; when autoplay with sound is blocked, `onBlocked` is
 *  called with a function to call from a click. */
export function playStream(video, stream, onBlocked) {
  if (video.srcObject !== stream) video.srcObject = stream;
  const attempt = video.play();
  if (attempt && attempt.catch) {
    attempt.catch((err) => {
      // Only the browser's autoplay rule asks for a click. A play() cut short because a
      // newer stream (a track joining) replaced this one is not blocked: that stream's
      // own play() goes on.
      if (err?.name !== "NotAllowedError" || video.srcObject !== stream) return;
      if (onBlocked) onBlocked(() => video.play().catch(() => {}));
    });
  }
}

const DEVICE_ERROR_WORDS = {
  denied: "access was blocked. Allow it in the browser's site settings",
  "no-device": "none was found on this device",
  insecure: "this page is not on a secure connection (HTTPS)",
  failed: "it could not be started",
};

/** Words for a device error, e.g. "Camera: none was found on this device." */
export function deviceErrorWords(what, error) {
  return `${what}: ${DEVICE_ERROR_WORDS[error] || DEVICE_ERROR_WORDS.failed}.`;
}

/** This page's camera and microphone: open, toggle, switch, stop. Problems are reported
 *  as {device: "camera"|"microphone", error} (error as openDevices names it). */
export class LocalDevices {
  constructor() {
    this.audioTrack = null;
    this.videoTrack = null;
    this.facing = "user";
    this.micOn = true;
    this.preview = new MediaStream();
  }

  get cameraOn() {
    return this.videoTrack !== null;
  }

  /** Open the microphone and, when `camera` is "user" or "environment", the camera.
   *  When the two together fail, each is asked for alone, so that the problem names the
   *  device that failed and the other one is kept: a camera that fails leaves the
   *  microphone alone (audio-only), unless `cameraRequired`: then nothing stays open. A
   *  microphone that fails leaves the camera alone. Returns the problems, empty when all
   *  worked. */
  async open({ camera, microphone = true }, { cameraRequired = false } = {}) {
    this.stop();
    if (camera) this.facing = camera;
    const both = await openDevices({ camera, microphone });
    if (!both.error) {
      this.useTracks(both.stream.getVideoTracks()[0], both.stream.getAudioTracks()[0]);
      return [];
    }
    const problems = [];
    let video = null;
    if (camera) {
      const alone = microphone ? await openDevices({ camera, microphone: false }) : both;
      if (alone.error) {
        problems.push({ device: "camera", error: alone.error });
        if (cameraRequired) {
          this.refreshPreview();
          return problems;
        }
      } else {
        video = alone.stream.getVideoTracks()[0];
      }
    }
    let audio = null;
    if (microphone) {
      const alone = camera ? await openDevices({ camera: false, microphone }) : both;
      if (alone.error) problems.push({ device: "microphone", error: alone.error });
      else audio = alone.stream.getAudioTracks()[0];
    }
    this.useTracks(video, audio);
    return problems;
  }

  useTracks(video, audio) {
    this.videoTrack = video || null;
    this.audioTrack = audio || null;
    if (this.audioTrack) this.audioTrack.enabled = this.micOn;
    this.refreshPreview();
  }

  /** Start the camera (facing `facing`, or the camera `deviceId`); returns an error (as
   *  openDevices names it) or null. */
  async startCamera(facing = this.facing, deviceId = null) {
    const { stream, error } = await openDevices({ camera: facing, microphone: false, deviceId });
    if (error) return error;
    this.stopCamera();
    this.facing = facing;
    this.videoTrack = stream.getVideoTracks()[0];
    this.refreshPreview();
    return null;
  }

  stopCamera() {
    if (this.videoTrack) this.videoTrack.stop();
    this.videoTrack = null;
    this.refreshPreview();
  }

  /** Use the other camera (front/back); returns an error or null. A browser that gives the
   *  same camera for the other facing mode (its cameras do not say which way they face)
   *  gets the next camera of its list instead. */
  async switchCamera() {
    const before = this.videoTrack ? this.videoTrack.getSettings().deviceId : null;
    const facing = this.facing === "environment" ? "user" : "environment";
    const error = await this.startCamera(facing);
    if (error || !before || this.videoTrack.getSettings().deviceId !== before) return error;
    const ids = await cameraIds();
    if (ids.length < 2) return null;
    return this.startCamera(facing, ids[(ids.indexOf(before) + 1) % ids.length]);
  }

  setMic(on) {
    this.micOn = on;
    if (this.audioTrack) this.audioTrack.enabled = on;
  }

  refreshPreview() {
    this.preview = new MediaStream(this.videoTrack ? [this.videoTrack] : []);
  }

  /** What the other side should be told (the `media` message). */
  state() {
    return { type: "media", camera: this.cameraOn, microphone: !!this.audioTrack && this.micOn };
  }

  stop() {
    for (const track of [this.audioTrack, this.videoTrack]) if (track) track.stop();
    this.audioTrack = null;
    this.videoTrack = null;
    this.refreshPreview();
  }
}

/** What the camera of `track` can do beyond a picture: {torch: bool, zoom: {min, max,
 *  step} | null, focus: bool} (MediaStreamTrack.getCapabilities; {} without a track). */
export function cameraFeatures(track) {
  if (!track || track.readyState !== "live" || typeof track.getCapabilities !== "function") {
    return { torch: false, zoom: null, focus: false };
  }
  const caps = track.getCapabilities();
  const torch = caps.torch === true || (Array.isArray(caps.torch) && caps.torch.includes(true));
  const zoom =
    caps.zoom && Number.isFinite(caps.zoom.min) && Number.isFinite(caps.zoom.max) && caps.zoom.max > caps.zoom.min
      ? { min: caps.zoom.min, max: caps.zoom.max, step: caps.zoom.step || 0 }
      : null;
  const supported = navigator.mediaDevices.getSupportedConstraints
    ? navigator.mediaDevices.getSupportedConstraints()
    : {};
  const focus =
    Array.isArray(caps.focusMode) && caps.focusMode.includes("single-shot") && !!supported.pointsOfInterest;
  return { torch, zoom, focus };
}
