// The media side of a call page, shared by the buyer page and the agent console:
// devices, the peer connection to the server, the remote and local <video>, and the
// mute / camera / switch / play-audio controls (found by data-testid); where the page has
// them (the buyer's), the torch and zoom controls and tap to focus.
import { takeStill } from "./still.js";
import { $ } from "./ui.js";
import { LocalDevices, MediaLink, cameraCount, cameraFeatures, deviceErrorWords, playStream } from "./media.js";

/** The console's words in English (the buyer page passes its own, from its string
 * table; the console its staff language's, falling back to these). */
export function defaultWords(key, params = {}) {
  const words = {
    "live.mute": "Mute",
    "live.unmute": "Unmute",
    "live.camera_stop": "Stop camera",
    "live.camera_start": "Start camera",
    "live.torch_on": "Turn light on",
    "live.torch_off": "Turn light off",
    "live.zoom_value": `Zoom ${params.zoom}×`,
    "problem.video_failed": "The video connection failed. Reconnecting…",
    "problem.turn_refused":
      "The video relay refused this page's access, so the video cannot connect. Reload the page to try again.",
  };
  if (key === "problem.devices") {
    return params.problems
      .map(({ device, error }) =>
        device === "camera"
          ? `${deviceErrorWords("Camera", error)} You can continue with audio only`
          : deviceErrorWords("Microphone", error),
      )
      .join(" ");
  }
  if (key === "problem.microphone_camera_only") {
    return `${deviceErrorWords("Microphone", params.error)} The call goes on: the other side sees your camera.`;
  }
  if (key === "problem.camera") return deviceErrorWords("Camera", params.error);
  return words[key] ?? key;
}

export class CallMedia {
  /**
   * @param {import("./signaling.js").Signaling} signaling
   * @param {{onProblem: (text: string) => void, peerName?: () => string,
   *          maxSendWidth?: number, onIceRefused?: () => void,
   *          onPictures?: (shown: {own?: boolean, peer?: boolean}) => void}} options
   *   `onPictures`: this side's or the other side's camera started or stopped sending
   *   `onIceRefused`: a TURN server refused this page's credential, so the connection
   *   cannot come up (default: told to onProblem)
   */
  constructor(
    signaling,
    {
      onProblem,
      peerName = () => "",
      maxSendWidth = 0,
      words = defaultWords,
      onIceRefused = null,
      onPictures = () => {},
    },
  ) {
    this.onPictures = onPictures;
    this.signaling = signaling;
    this.onProblem = onProblem;
    this.words = words;
    this.peerName = peerName;
    this.devices = new LocalDevices();
    this.prepared = false;
    this.pending = null;
    this.generation = 0;
    this.noVideo = false; // no video comes in this call (the browsers share no format)
    this.noVideoWords = null; // ... and what the placeholder says instead of the peer's name
    this.remote = $("remote-video") || $("agent-video"); // the buyer page's is the agent's camera
    this.local = $("local-video");
    this.link = new MediaLink(signaling, {
      onRemoteStream: (stream) => this.showRemote(stream),
      onState: (state) => {
        if (state === "failed") this.onProblem(this.words("problem.video_failed"));
      },
      onIceRefused: onIceRefused || (() => this.onProblem(this.words("problem.turn_refused"))),
      maxSendWidth,
    });
    signaling.on("media", (m) => this.showPeerCamera(m.camera));
    // the call's video codec, fixed by the server from the first offer: offered first
    const callCodec = (call) => {
      if (call) this.link.callCodec = call.video_codec || null;
    };
    signaling.on("welcome", (m) => callCodec(m.call));
    signaling.on("call", callCodec);
    this.wireControls();
  }

  /** Open devices as `defaults` says ({camera: false|"user"|"environment"}), once per call.
   *  With `cameraRequired` a camera that fails leaves nothing open and is not reported:
   *  the camera's error is returned (else null) and the page decides. Other problems go
   *  to onProblem, all in one sentence. */
  async prepare(defaults, { cameraRequired = false } = {}) {
    if (this.prepared) return null;
    this.prepared = true;
    const generation = this.generation;
    const problems = await this.devices.open(defaults, { cameraRequired });
    if (generation !== this.generation) {
      this.devices.stop(); // ended meanwhile
      return null;
    }
    const camera = problems.find((p) => p.device === "camera");
    if (cameraRequired && camera) {
      this.prepared = false;
      return camera.error;
    }
    if (problems.length) this.onProblem(this.problemWords(problems, cameraRequired));
    this.showLocal();
    this.renderControls();
    this.countCameras(); // with the permission given, every camera is listed
    return null;
  }

  /** The sentence for what failed in prepare(). Where the camera is the point of the call
   *  and only the microphone failed, the call goes on and the buyer is told so. */
  problemWords(problems, cameraRequired) {
    const [only] = problems;
    if (cameraRequired && problems.length === 1 && only.device === "microphone" && this.devices.cameraOn) {
      return this.words("problem.microphone_camera_only", {
        error: only.error,
        problem: this.words(`device.${only.error}`),
      });
    }
    return this.words("problem.devices", { problems });
  }

  /** Count the cameras again (before a permission browsers list at most one) and show
   *  "Switch camera" where there are two or more. */
  async countCameras() {
    this.cameras = await cameraCount();
    this.renderControls();
  }

  /** Devices open and a peer connection offered; does nothing when both are so already.
   *  Concurrent calls share one attempt. */
  ensure(defaults) {
    if (!this.pending) {
      const generation = this.generation;
      this.pending = (async () => {
        await this.prepare(defaults);
        if (generation === this.generation && !this.link.active) await this.connect();
      })().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  /** The socket was replaced: the server closed the old peer connection with it. */
  socketReplaced() {
    this.link.close();
  }

  async connect() {
    await this.link.start({
      audioTrack: this.devices.audioTrack,
      videoTrack: this.devices.videoTrack,
    });
    this.signaling.send(this.devices.state());
    this.renderControls();
  }

  /** A still photo from the camera at its own resolution (never the scaled-down call
   *  video): ImageCapture.takePhoto() where the browser has it, else the current frame
   *  drawn at the track's size. Resolves with a Blob; rejects when the camera is off. */
  async takePhoto() {
    return takeStill(this.devices.videoTrack);
  }

  end() {
    this.generation += 1;
    this.prepared = false;
    this.noVideo = false;
    this.noVideoWords = null;
    this.link.close();
    this.devices.stop();
    this.remote.srcObject = null;
    this.local.srcObject = null;
    const play = $("play-audio");
    if (play) play.hidden = true;
  }

  showRemote(stream) {
    playStream(this.remote, stream, (retry) => {
      const play = $("play-audio");
      if (!play) return;
      play.hidden = false;
      play.onclick = () => {
        play.hidden = true;
        retry();
      };
    });
  }

  showLocal() {
    this.local.srcObject = this.devices.preview;
    this.local.hidden = !this.devices.cameraOn;
    this.onPictures({ own: this.devices.cameraOn });
    const waiting = $("waiting-preview");
    if (waiting) {
      waiting.srcObject = this.devices.preview;
      waiting.hidden = !this.devices.cameraOn;
    }
  }

  showPeerCamera(on) {
    const placeholder = $("remote-placeholder");
    if (!placeholder) return;
    const shown = on && !this.noVideo;
    placeholder.hidden = shown;
    placeholder.textContent = this.noVideoWords || this.peerName();
    this.remote.classList.toggle("camera-off", !shown);
    this.onPictures({ peer: shown });
  }

  /** No video comes in this call whatever the cameras do (the two browsers share no video
   *  format): the placeholder says `words` (or the other side's name) until the call ends. */
  showNoVideo(words) {
    this.noVideo = true;
    this.noVideoWords = words || null;
    this.showPeerCamera(false);
  }

  renderControls() {
    // plain buttons whose label says what a press does (no aria-pressed: a pressed
    // "Unmute" or "Camera off" would say two different things)
    const mute = $("mute");
    mute.removeAttribute("aria-pressed");
    mute.textContent = this.words(this.devices.micOn ? "live.mute" : "live.unmute");
    mute.disabled = !this.devices.audioTrack;
    const camera = $("camera-toggle");
    camera.removeAttribute("aria-pressed");
    camera.textContent = this.words(this.devices.cameraOn ? "live.camera_stop" : "live.camera_start");
    const flip = $("camera-switch");
    if (flip) flip.hidden = !this.devices.cameraOn || this.cameras < 2;
    this.renderCameraFeatures();
  }

  /** The torch and zoom controls, shown only where this camera has them. */
  renderCameraFeatures() {
    const features = cameraFeatures(this.devices.videoTrack);
    const settings = this.devices.videoTrack ? this.devices.videoTrack.getSettings() : {};
    const torch = $("torch");
    if (torch) {
      // a plain button like mute and camera: its label says what a press does
      torch.hidden = !features.torch;
      torch.removeAttribute("aria-pressed");
      torch.textContent = this.words(this.torchOn() ? "live.torch_off" : "live.torch_on");
    }
    const zoom = $("zoom");
    if (zoom) {
      zoom.hidden = !features.zoom;
      if (features.zoom) {
        const input = zoom.querySelector("input");
        input.min = String(features.zoom.min);
        input.max = String(features.zoom.max);
        input.step = String(features.zoom.step || "any");
        const level = Number.isFinite(settings.zoom) ? settings.zoom : features.zoom.min;
        input.value = String(level);
        zoom.querySelector("span").textContent = this.words("live.zoom_value", {
          zoom: zoomFactor(level, features.zoom),
        });
      }
    }
  }

  /** Whether the camera's torch is lit now (the track's own setting). */
  torchOn() {
    const track = this.devices.videoTrack;
    return Boolean(track && track.getSettings().torch === true);
  }

  /** Torch on or off: "applied", "not_supported" or "camera_off" (the camera_reply result). */
  async setTorch(on) {
    const track = this.devices.videoTrack;
    if (!track || track.readyState !== "live") return "camera_off";
    if (!cameraFeatures(track).torch) return "not_supported";
    try {
      await track.applyConstraints({ advanced: [{ torch: on }] });
    } catch {
      return "not_supported";
    }
    this.renderCameraFeatures();
    return "applied";
  }

  /** Zoom to `factor` times the camera's widest view (1 = widest), the nearest level the
   *  camera has: {result, zoom} with the factor applied. */
  async setZoom(factor) {
    const track = this.devices.videoTrack;
    if (!track || track.readyState !== "live") return { result: "camera_off", zoom: null };
    const range = cameraFeatures(track).zoom;
    if (!range) return { result: "not_supported", zoom: null };
    const base = range.min > 0 ? range.min : 1;
    const level = Math.min(range.max, Math.max(range.min, base * factor));
    try {
      await track.applyConstraints({ advanced: [{ zoom: level }] });
    } catch {
      return { result: "not_supported", zoom: null };
    }
    this.renderCameraFeatures();
    return { result: "applied", zoom: zoomFactor(level, range) };
  }

  /** Focus where the buyer tapped on their own picture (where the camera can). */
  async focusAt(event) {
    const track = this.devices.videoTrack;
    if (!cameraFeatures(track).focus) return;
    const box = this.local.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    try {
      await track.applyConstraints({ advanced: [{ focusMode: "single-shot", pointsOfInterest: [{ x, y }] }] });
    } catch {
      // this camera refused: it keeps its own focus
    }
  }

  wireControls() {
    this.cameras = 0;
    this.countCameras();
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener("devicechange", () => this.countCameras());
    }
    $("mute").addEventListener("click", () => {
      this.devices.setMic(!this.devices.micOn);
      this.signaling.send(this.devices.state());
      this.renderControls();
    });
    $("camera-toggle").addEventListener("click", async () => {
      if (this.devices.cameraOn) {
        this.devices.stopCamera();
      } else {
        const error = await this.devices.startCamera();
        if (error) this.onProblem(this.words("problem.camera", { error }));
      }
      await this.link.setVideoTrack(this.devices.videoTrack);
      this.showLocal();
      this.signaling.send(this.devices.state());
      this.renderControls();
    });
    const torch = $("torch");
    if (torch) {
      torch.addEventListener("click", () => this.setTorch(!this.torchOn()));
    }
    const zoom = $("zoom");
    if (zoom) {
      const input = zoom.querySelector("input");
      input.addEventListener("input", async () => {
        const track = this.devices.videoTrack;
        if (!track) return;
        try {
          await track.applyConstraints({ advanced: [{ zoom: Number(input.value) }] });
        } catch {
          // out of this camera's range: it keeps its zoom
        }
        this.renderCameraFeatures();
      });
    }
    this.local.addEventListener("click", (event) => this.focusAt(event));
    const flip = $("camera-switch");
    if (flip) {
      flip.addEventListener("click", async () => {
        const error = await this.devices.switchCamera();
        if (error) this.onProblem(this.words("problem.camera", { error }));
        await this.link.setVideoTrack(this.devices.videoTrack);
        this.showLocal();
        this.renderControls();
      });
    }
  }
}

/** Which devices a side opens by default for a purpose (DESIGN.md, "Calls"). */
export function defaultDevices(side, purpose) {
  const buyerShows = purpose === "damage_verification";
  if (side === "buyer") return { camera: buyerShows ? "environment" : false, microphone: true };
  return { camera: buyerShows ? false : "user", microphone: true };
}

/** A zoom level as a factor of the camera's widest view, to one decimal (2.5 for 2.5×). */
function zoomFactor(level, range) {
  const base = range.min > 0 ? range.min : 1;
  return Math.round((level / base) * 10) / 10;
}
