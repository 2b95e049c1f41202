// The media side of a call page, shared by the buyer page and the agent console:
// devices, the peer connection to the server, the remote and local <video>, and the
// mute / camera / switch / play-audio controls (found by data-testid).
import { $ } from "./ui.js";
import { LocalDevices, MediaLink, cameraCount, playStream } from "./media.js";

export class CallMedia {
  /**
   * @param {import("./signaling.js").Signaling} signaling
   * @param {{onProblem: (text: string) => void, peerName?: () => string,
   *          maxSendWidth?: number}} options
   */
  constructor(signaling, { onProblem, peerName = () => "", maxSendWidth = 0 }) {
    this.signaling = signaling;
    this.onProblem = onProblem;
    this.peerName = peerName;
    this.devices = new LocalDevices();
    this.prepared = false;
    this.pending = null;
    this.generation = 0;
    this.remote = $("remote-video");
    this.local = $("local-video");
    this.link = new MediaLink(signaling, {
      onRemoteStream: (stream) => this.showRemote(stream),
      onState: (state) => {
        if (state === "failed") this.onProblem("The video connection failed. Reconnecting…");
      },
      maxSendWidth,
    });
    signaling.on("media", (m) => this.showPeerCamera(m.camera));
    this.wireControls();
  }

  /** Open devices as `defaults` says ({camera: false|"user"|"environment"}), once per call. */
  async prepare(defaults) {
    if (this.prepared) return;
    this.prepared = true;
    const generation = this.generation;
    const problems = await this.devices.open(defaults);
    if (generation !== this.generation) return this.devices.stop(); // ended meanwhile
    for (const problem of problems) this.onProblem(problem);
    this.showLocal();
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
    const track = this.devices.videoTrack;
    if (!track || track.readyState !== "live") throw new Error("the camera is off");
    if (typeof ImageCapture === "function") {
      try {
        const photo = await withTimeout(new ImageCapture(track).takePhoto(), 4000);
        if (photo && photo.size > 0) return photo;
      } catch {
        // not supported by this camera: take the current frame instead
      }
    }
    return frameToJpeg(track);
  }

  end() {
    this.generation += 1;
    this.prepared = false;
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
    const waiting = $("waiting-preview");
    if (waiting) {
      waiting.srcObject = this.devices.preview;
      waiting.hidden = !this.devices.cameraOn;
    }
  }

  showPeerCamera(on) {
    const placeholder = $("remote-placeholder");
    if (!placeholder) return;
    placeholder.hidden = on;
    placeholder.textContent = this.peerName();
    this.remote.classList.toggle("camera-off", !on);
  }

  renderControls() {
    const mute = $("mute");
    mute.setAttribute("aria-pressed", String(!this.devices.micOn));
    mute.textContent = this.devices.micOn ? "Mute" : "Unmute";
    mute.disabled = !this.devices.audioTrack;
    const camera = $("camera-toggle");
    camera.setAttribute("aria-pressed", String(this.devices.cameraOn));
    camera.textContent = this.devices.cameraOn ? "Camera off" : "Camera on";
    const flip = $("camera-switch");
    if (flip) flip.hidden = !this.devices.cameraOn || this.cameras < 2;
  }

  wireControls() {
    this.cameras = 0;
    cameraCount().then((n) => {
      this.cameras = n;
      this.renderControls();
    });
    $("mute").addEventListener("click", () => {
      this.devices.setMic(!this.devices.micOn);
      this.signaling.send(this.devices.state());
      this.renderControls();
    });
    $("camera-toggle").addEventListener("click", async () => {
      if (this.devices.cameraOn) {
        this.devices.stopCamera();
      } else {
        const problem = await this.devices.startCamera();
        if (problem) this.onProblem(problem);
      }
      await this.link.setVideoTrack(this.devices.videoTrack);
      this.showLocal();
      this.signaling.send(this.devices.state());
      this.renderControls();
    });
    const flip = $("camera-switch");
    if (flip) {
      flip.addEventListener("click", async () => {
        const problem = await this.devices.switchCamera();
        if (problem) this.onProblem(problem);
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

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** The track's current frame as a JPEG at the camera's resolution. */
async function frameToJpeg(track) {
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  try {
    await video.play();
    if (!video.videoWidth) {
      await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
    }
    const settings = track.getSettings();
    const width = settings.width || video.videoWidth;
    const height = settings.height || video.videoHeight;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(video, 0, 0, width, height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no image"))), "image/jpeg", 0.92),
    );
  } finally {
    video.srcObject = null;
  }
}
