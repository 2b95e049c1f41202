// The console's "Use my phone as the camera": a QR code and short code for the agent's
// phone (POST /api/sessions/{id}/phone-camera), then the phone's state from `phone_camera`
// messages. While the phone is the camera the console sends no video of its own (the
// buyer sees the phone's picture; the console keeps the sound, chat and controls); when
// the phone leaves or the agent stops it, the console's camera is sent again.
import { ApiError, post } from "./api.js";
import { formatStaffDateTime, t } from "./staff_i18n.js";
import { $ } from "./ui.js";

export class ConsolePhoneCamera {
  /**
   * @param {{signaling: () => {send: (m: object) => void}, media: () => object,
   *          fail: (err: Error) => void}} options  media(): the console's CallMedia
   */
  constructor({ signaling, media, fail }) {
    this.signaling = signaling;
    this.media = media;
    this.fail = fail;
    this.call = null;
    this.live = false;
    this.button = $("phone-camera");
    this.dialog = $("phone-camera-dialog");
    this.indicator = $("phone-camera-state");
    this.button.addEventListener("click", () => this.open());
    $("phone-camera-close").addEventListener("click", () => this.dialog.close());
    $("phone-camera-stop").addEventListener("click", () => {
      if (this.call) this.signaling().send({ type: "phone_camera_stop", session_id: this.call });
    });
  }

  /** A live call: the button is offered. */
  attach(sessionId) {
    if (this.call !== sessionId) this.reset();
    this.call = sessionId;
    this.button.hidden = false;
  }

  /** The call ended. */
  detach() {
    this.reset();
    this.call = null;
    this.button.hidden = true;
  }

  reset() {
    if (this.dialog.open) this.dialog.close();
    this.showLive(false);
  }

  async open() {
    if (!this.call) return;
    const sessionId = this.call;
    const path = `/api/sessions/${encodeURIComponent(sessionId)}/phone-camera`;
    let code;
    try {
      code = await post(path, {}).catch(async (err) => {
        // a call answered a moment ago may not be stored yet: ask once more
        if (!(err instanceof ApiError) || err.status !== 404) throw err;
        await new Promise((resolve) => setTimeout(resolve, 700));
        return post(path, {});
      });
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.call !== sessionId) return;
    // the server's SVG (no xmlns: parsed as HTML, which puts <svg> in the SVG namespace)
    const svg = new DOMParser().parseFromString(code.qr_svg, "text/html").querySelector("svg");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t("console.phone_camera.qr_label"));
    $("phone-camera-qr").replaceChildren(document.importNode(svg, true));
    $("phone-camera-code").textContent = code.code;
    $("phone-camera-expiry").textContent = t("console.phone_camera.expires", {
      time: formatStaffDateTime(code.expires_at),
    });
    this.showProgress("");
    if (!this.dialog.open) this.dialog.showModal();
  }

  showProgress(text) {
    const node = $("phone-camera-progress");
    node.textContent = text;
    node.hidden = !text;
  }

  /** A `phone_camera` message: connecting, live or off. */
  changed(message) {
    if (message.session_id !== this.call) return;
    if (message.state === "connecting") {
      this.showProgress(t("console.phone_camera.connecting"));
    } else if (message.state === "live") {
      if (this.dialog.open) this.dialog.close();
      this.showLive(true);
    } else {
      this.showLive(false);
    }
  }

  showLive(on) {
    const was = this.live;
    this.live = on;
    this.indicator.hidden = !on;
    this.button.hidden = on || !this.call;
    // the console's own picture stays on screen, dimmed: it is not what the buyer sees
    const local = $("local-video");
    if (local) local.classList.toggle("not-sent", on);
    const media = this.media();
    if (!media || was === on) return;
    // the phone films: the console's camera stays open but is not sent (no `media`
    // message: for the buyer the agent's camera is on, the server says so)
    media.link.setVideoTrack(on ? null : media.devices.videoTrack);
  }
}
