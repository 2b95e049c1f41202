// The review page's part of the agent's camera. The review file's first video stream is
// the buyer's camera (the agent's is a second stream, which browsers do not play); here
// the agent's own track files play in a corner of the player, kept on the review file's
// clock, and "Swap pictures" makes either one the large picture. A call whose buyer never
// sent video has the agent's camera as the review file's picture: it is labelled so.
import { staffCardWords } from "./console_product_card.js";
import { useCardWords } from "./product_card.js";
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const DRIFT_S = 0.35; // the corner picture is moved when it is this far off the main one

/** The ready per-track files of `track` in a call's detail, oldest first. */
function readyTracks(detail, track) {
  return (detail.recordings || [])
    .filter((r) => r.kind === "track" && r.track === track && r.state === "ready")
    .sort((a, b) => a.start_offset_ms - b.start_offset_ms);
}

export class AgentPicture {
  /** @param {HTMLVideoElement} main the review file's player */
  constructor(main) {
    useCardWords(staffCardWords());
    this.main = main;
    this.player = main.closest(".player");
    this.segments = [];
    this.origin = 0;
    this.pip = el("video", { class: "agent-video", testid: "review-agent-video", muted: true, playsinline: true, preload: "auto" });
    this.pip.muted = true; // the review file carries both voices
    this.swap = el("button", {
      type: "button",
      class: "player-button video-swap",
      testid: "review-video-swap",
      text: t("review.video.swap"),
      onclick: () => this.setSwapped(!this.player.classList.contains("swapped")),
    });
    this.label = el("span", { class: "video-label", testid: "review-video-label" });
    this.box = el("div", { class: "agent-pip", testid: "review-agent-pip", hidden: true }, this.pip);
    this.player.insertBefore(this.box, main.nextSibling);
    this.player.insertBefore(this.label, this.box);
    const controls = $("player-controls");
    controls.insertBefore(this.swap, $("player-fullscreen"));
    this.swap.hidden = true;
    this.label.hidden = true;
    for (const kind of ["timeupdate", "seeked", "play", "pause", "ratechange", "ended"]) {
      main.addEventListener(kind, () => this.follow());
    }
  }

  /** Show what `detail` (GET /api/sessions/{id}) has of the agent's camera. */
  render(detail) {
    const review = detail.review_recording;
    const ready = Boolean(review && review.state === "ready");
    const agent = readyTracks(detail, "agent_video");
    const buyer = readyTracks(detail, "buyer_video");
    this.origin = review ? review.start_offset_ms : 0;
    this.segments = ready && buyer.length ? agent : [];
    this.box.hidden = !this.segments.length;
    this.swap.hidden = !this.segments.length;
    this.swap.textContent = t("review.video.swap");
    if (!this.segments.length) this.setSwapped(false);
    // the only picture is the agent's: say whose camera it is
    const agentOnly = ready && !buyer.length && agent.length > 0;
    this.label.hidden = !agentOnly && !this.segments.length;
    this.renderLabel(agentOnly);
    this.follow();
  }

  renderLabel(agentOnly) {
    const big = agentOnly || this.player.classList.contains("swapped") ? "agent" : "buyer";
    this.label.textContent = t(big === "agent" ? "review.video.agent" : "review.video.buyer");
    this.label.dataset.whose = big;
  }

  setSwapped(on) {
    this.player.classList.toggle("swapped", on);
    this.swap.setAttribute("aria-pressed", String(on));
    this.renderLabel(false);
  }

  /** Keep the corner picture at the main one's moment: its segment, its time, playing. */
  follow() {
    if (!this.segments.length) {
      if (this.pip.getAttribute("src")) {
        this.pip.removeAttribute("src");
        this.pip.load();
      }
      return;
    }
    const callMs = this.origin + this.main.currentTime * 1000;
    const segment =
      this.segments.find((s) => callMs >= s.start_offset_ms && callMs < s.start_offset_ms + (s.duration_ms || 0)) ||
      null;
    this.box.dataset.showing = segment ? "yes" : "no";
    if (!segment) {
      this.pip.pause();
      return;
    }
    if (this.pip.dataset.recording !== String(segment.id)) {
      this.pip.dataset.recording = String(segment.id);
      this.pip.src = segment.url;
    }
    const at = (callMs - segment.start_offset_ms) / 1000;
    if (Math.abs(this.pip.currentTime - at) > DRIFT_S) this.pip.currentTime = at;
    this.pip.playbackRate = this.main.playbackRate;
    if (this.main.paused) this.pip.pause();
    else this.pip.play().catch(() => {});
  }
}
