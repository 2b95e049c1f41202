// The console's call picture: which video is the large one. In a call where the agent
// shows goods (every purpose but a damage check) the agent's own camera becomes the
// large picture while the buyer's camera is off; the swap button lets the agent choose
// either way until the buyer's camera starts or stops.

import { t } from "./staff_i18n.js";

export class ConsoleStage {
  /** @param {HTMLElement} videos the `.videos` box  @param {HTMLButtonElement} button */
  constructor(videos, button) {
    this.videos = videos;
    this.button = button;
    this.sessionId = null;
    this.agentShows = false;
    this.choice = null; // null: the rule decides; "local" / "remote": the agent's choice
    this.own = false;
    this.peer = false;
    button.addEventListener("click", () => {
      this.choice = this.main() === "local" ? "remote" : "local";
      this.render();
    });
    this.render();
  }

  /** A call is on screen (called for each of its updates). */
  start(call) {
    if (call.session_id !== this.sessionId) {
      this.sessionId = call.session_id;
      this.choice = null;
      this.peer = false;
    }
    this.agentShows = call.purpose !== "damage_verification";
    this.render();
  }

  end() {
    this.sessionId = null;
    this.choice = null;
    this.own = false;
    this.peer = false;
    this.render();
  }

  /** Whose camera sends a picture now. */
  pictures({ own, peer }) {
    if (own !== undefined) this.own = own;
    if (peer !== undefined && peer !== this.peer) {
      this.peer = peer;
      this.choice = null; // the buyer's camera changed: the rule decides again
    }
    this.render();
  }

  main() {
    if (!this.own) return "remote"; // no picture of one's own to enlarge
    if (this.choice) return this.choice;
    return this.agentShows && !this.peer ? "local" : "remote";
  }

  render() {
    const main = this.main();
    this.videos.dataset.main = main;
    this.button.hidden = !this.own;
    this.button.textContent = t(main === "local" ? "console.stage.show_buyer" : "console.stage.show_own");
  }
}
