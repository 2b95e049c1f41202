// The buyer's guided recording, for when nobody can take the call now: per purpose a few
// steps, each a clip of at most 60 s (MediaRecorder) and/or full-resolution photos, a
// note, then every file uploaded by the tus protocol (tus-js-client, web/vendor/): the
// upload resumes after a dropped connection or a closed tab (fingerprints in
// localStorage). Each recorded file's SHA-256 is on its step (data-sha256 / data-photo-
// sha256), so what the server stored can be compared with what the page recorded.

import { api } from "./api.js";
import { takeStill } from "./still.js";
import { showInvite } from "./case_invite.js";
import { formatNumber, t } from "./i18n.js";
import { $, el } from "./ui.js";

const CLIP_MAX_MS = 60_000;
const STEP_BUTTONS = [
  ["record-start", "record.start"],
  ["record-stop", "record.stop"],
  ["step-retake", "record.retake"],
  ["step-photo", "record.photo"],
];
// the server's answer when an upload names a step the shop no longer has
const STEPS_CHANGED = new Set(["step_unknown", "step_wrong_kind"]);

/** The error code of a refused tus request, if the server said one. */
function uploadErrorCode(err) {
  try {
    return JSON.parse(err.originalResponse.getBody()).error.code;
  } catch {
    return null;
  }
}
const CHUNK_BYTES = 64 * 1024; // small chunks: a cut connection loses little
const RETRY_DELAYS_MS = [0, 500, 1000, 2000, 3000, 5000, 5000, 5000, 5000, 5000, 10000, 10000, 10000, 10000, 10000, 20000, 20000, 20000, 30000, 30000];

function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function localZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

function recorderType() {
  const wanted = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4"];
  return wanted.find((type) => window.MediaRecorder && MediaRecorder.isTypeSupported(type)) || "";
}

/** A step's upload rows as the done screen lists them (`sent-file`, same data). */
function sentList(list) {
  const copy = list.cloneNode(true);
  copy.dataset.testid = "sent-file-list";
  for (const row of copy.children) row.dataset.testid = "sent-file";
  return copy;
}

/** The guided recording. `onError(key)` shows a catalogue sentence; `done()` is called
 *  once everything is uploaded and submitted. */
export class AsyncRecording {
  constructor({ purpose, locale, onError, done }) {
    this.purpose = purpose;
    this.locale = locale;
    this.onError = onError;
    this.done = done;
    this.stream = null;
    this.files = new Map(); // step -> {clip: Blob|null, photos: Blob[]}
    this.recorder = null;
    $("async-submit").addEventListener("click", () => this.submit());
  }

  async open() {
    if (!this.steps) {
      // the shop's steps for the link's purpose, prompts in the page's language
      const query = `?locale=${encodeURIComponent(this.locale)}`;
      this.steps = (await api(`/api/buyer/case/steps${query}`, { as: "buyer" })).steps;
      $("record-steps").replaceChildren(...this.steps.map((step) => this.stepNode(step)));
    }
    if (!this.stream) {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: true,
      });
    }
    $("async-camera").srcObject = this.stream;
  }

  /** Another language mid-recording: the steps' prompts and buttons in `locale`, what was
   *  recorded stays (the steps are read again; a step no longer there keeps its prompt). */
  async relabel(locale) {
    this.locale = locale;
    if (!this.steps) return;
    const query = `?locale=${encodeURIComponent(locale)}`;
    const steps = (await api(`/api/buyer/case/steps${query}`, { as: "buyer" })).steps;
    const prompts = new Map(steps.map((step) => [step.key, step.prompt]));
    for (const node of document.querySelectorAll('[data-testid="record-step"]')) {
      const prompt = prompts.get(node.dataset.step);
      if (prompt) {
        node.querySelector(".record-prompt").textContent = prompt;
      }
      for (const [testid, key] of STEP_BUTTONS) this.button(node, testid).textContent = t(key);
    }
  }

  /** One step: its prompt, and a clip's buttons and/or the photo button, as it asks. */
  stepNode(step) {
    this.files.set(step.key, { clip: null, photos: [] });
    const node = el(
      "li",
      { class: "record-step", testid: "record-step", dataset: { clip: String(step.clip), photos: String(step.photos) } },
      el("p", { class: "record-prompt", text: step.prompt }),
      el("video", { class: "step-preview", testid: "step-preview", hidden: true }),
      el("div", { class: "step-photos", testid: "step-photos" }),
      el(
        "div",
        { class: "buttons" },
        el("button", { type: "button", class: "primary", testid: "record-start", text: t("record.start"), hidden: !step.clip }),
        el("button", { type: "button", testid: "record-stop", text: t("record.stop"), hidden: true }),
        el("button", { type: "button", testid: "step-retake", text: t("record.retake"), hidden: true }),
        el("button", { type: "button", testid: "step-photo", text: t("record.photo"), hidden: !step.photos }),
      ),
    );
    node.dataset.step = step.key;
    node.querySelector('[data-testid="record-start"]').addEventListener("click", () => this.start(node));
    node.querySelector('[data-testid="record-stop"]').addEventListener("click", () => this.stop());
    node.querySelector('[data-testid="step-retake"]').addEventListener("click", () => this.retake(node));
    node.querySelector('[data-testid="step-photo"]').addEventListener("click", () => this.photo(node));
    return node;
  }

  button(node, testid) {
    return node.querySelector(`[data-testid="${testid}"]`);
  }

  start(node) {
    if (this.recorder) return;
    const chunks = [];
    const type = recorderType();
    const recorder = new MediaRecorder(this.stream, type ? { mimeType: type } : {});
    this.recorder = recorder;
    recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
    recorder.onstop = async () => {
      clearTimeout(this.timer);
      this.recorder = null;
      const blob = new Blob(chunks, { type: recorder.mimeType || type || "video/webm" });
      this.files.get(node.dataset.step).clip = blob;
      const preview = this.button(node, "step-preview");
      preview.src = URL.createObjectURL(blob);
      preview.controls = true;
      preview.hidden = false;
      this.button(node, "record-stop").hidden = true;
      this.button(node, "step-retake").hidden = false;
      node.dataset.sha256 = await sha256(blob);
      node.dataset.recorded = "true";
    };
    recorder.start(1000);
    this.timer = setTimeout(() => recorder.state === "recording" && recorder.stop(), CLIP_MAX_MS);
    this.button(node, "record-start").hidden = true;
    this.button(node, "record-stop").hidden = false;
    node.dataset.recording = "true";
  }

  stop() {
    if (this.recorder && this.recorder.state === "recording") this.recorder.stop();
  }

  retake(node) {
    const entry = this.files.get(node.dataset.step);
    entry.clip = null;
    const preview = this.button(node, "step-preview");
    preview.removeAttribute("src");
    preview.hidden = true;
    delete node.dataset.sha256;
    delete node.dataset.recorded;
    this.button(node, "step-retake").hidden = true;
    this.button(node, "record-start").hidden = false;
  }

  async photo(node) {
    const track = this.stream && this.stream.getVideoTracks()[0];
    let blob;
    try {
      blob = await takeStill(track);
    } catch {
      this.onError("error.unknown");
      return;
    }
    const entry = this.files.get(node.dataset.step);
    entry.photos.push(blob);
    const image = el("img", { alt: "", class: "step-photo-thumb" });
    image.src = URL.createObjectURL(blob);
    this.button(node, "step-photos").append(image);
    const sums = (node.dataset.photoSha256 || "").split(",").filter(Boolean);
    sums.push(await sha256(blob));
    node.dataset.photoSha256 = sums.join(",");
  }

  queue() {
    const queued = [];
    for (const [step, entry] of this.files) {
      if (entry.clip) queued.push({ step, kind: "clip", blob: entry.clip });
      for (const blob of entry.photos) queued.push({ step, kind: "photo", blob });
    }
    return queued;
  }

  progress(sent, total) {
    const bar = $("upload-progress");
    const percent = total ? Math.floor((sent / total) * 100) : 100;
    bar.hidden = false;
    bar.dataset.percent = String(percent);
    bar.setAttribute("aria-valuenow", String(percent));
    bar.querySelector(".upload-bar").style.width = `${percent}%`;
    bar.querySelector(".upload-text").textContent = `${t("record.uploading")} ${percent}%`;
  }

  /** One row per queued file under its step: a bar and its state (waiting, uploading,
   *  resuming after a cut, done, failed), `file-progress` with data-state/data-percent. */
  fileRows(queued) {
    for (const node of document.querySelectorAll('[data-testid="file-progress-list"]')) node.remove();
    const photos = new Map();
    for (const item of queued) {
      const step = document.querySelector(`[data-testid="record-step"][data-step="${item.step}"]`);
      const number = item.kind === "photo" ? (photos.get(item.step) || 0) + 1 : 0;
      if (number) photos.set(item.step, number);
      let list = step.querySelector('[data-testid="file-progress-list"]');
      if (!list) {
        list = el("ul", { class: "file-progress-list", testid: "file-progress-list" });
        step.append(list);
      }
      item.row = el(
        "li",
        { class: "file-progress", testid: "file-progress", dataset: { kind: item.kind, state: "waiting", percent: "0" } },
        el("span", { class: "file-progress-name", text: item.kind === "clip" ? t("upload.clip") : t("upload.photo", { number }) }),
        el(
          "span",
          { class: "file-progress-track", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" },
          el("span", { class: "file-progress-bar" }),
        ),
        el("span", { class: "file-progress-state", "aria-live": "polite", text: t("upload.waiting") }),
      );
      list.append(item.row);
    }
  }

  fileState(item, state, percent = Number(item.row.dataset.percent)) {
    const row = item.row;
    row.dataset.state = state;
    row.dataset.percent = String(percent);
    row.querySelector(".file-progress-track").setAttribute("aria-valuenow", String(percent));
    row.querySelector(".file-progress-bar").style.width = `${percent}%`;
    const shown = formatNumber(percent / 100, { style: "percent" });
    const words = {
      waiting: t("upload.waiting"),
      uploading: t("upload.sending", { percent: shown }),
      resuming: t("upload.resuming", { percent: shown }),
      done: t("upload.done"),
      failed: t("upload.failed"),
    };
    row.querySelector(".file-progress-state").textContent = words[state];
  }

  /** What was sent, step by step, for the done screen (`async-sent`). */
  receipt() {
    const steps = [...document.querySelectorAll('[data-testid="record-step"]')]
      .filter((node) => node.querySelector('[data-testid="file-progress-list"]'))
      .map((node) =>
        el(
          "li",
          { class: "async-sent-step" },
          el("p", { class: "record-prompt", text: node.querySelector(".record-prompt").textContent }),
          sentList(node.querySelector('[data-testid="file-progress-list"]')),
        ),
      );
    $("async-sent").replaceChildren(...steps);
    $("async-sent").hidden = steps.length === 0;
  }

  upload(item, onBytes) {
    const size = item.blob.size || 1;
    return new Promise((resolve, reject) => {
      const upload = new window.tus.Upload(item.blob, {
        endpoint: "/api/uploads",
        chunkSize: CHUNK_BYTES,
        retryDelays: RETRY_DELAYS_MS,
        metadata: { step: item.step, kind: item.kind },
        headers: { "X-CSRF-Token": readCookie("call_csrf_token") },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onProgress: (sent) => {
          onBytes(sent);
          this.fileState(item, "uploading", Math.min(99, Math.floor((sent / size) * 100)));
        },
        onShouldRetry: (err) => {
          const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
          const retry = status === 0 || status >= 500 || status === 423;
          if (retry) this.fileState(item, "resuming");
          return retry;
        },
        onError: (err) => {
          this.fileState(item, "failed");
          reject(err);
        },
        onSuccess: () => {
          this.fileState(item, "done", 100);
          resolve();
        },
      });
      upload.findPreviousUploads().then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        this.fileState(item, "uploading");
        upload.start();
      });
    });
  }

  async submit() {
    if (this.recorder) return;
    const note = $("async-note").value.trim();
    const queued = this.queue();
    if (!queued.length && !note) {
      this.onError("record.nothing");
      return;
    }
    const total = queued.reduce((sum, item) => sum + item.blob.size, 0);
    const sent = queued.map(() => 0);
    $("async-submit").disabled = true;
    this.fileRows(queued);
    this.progress(0, total);
    try {
      for (const [index, item] of queued.entries()) {
        await this.upload(item, (bytes) => {
          sent[index] = bytes;
          this.progress(sent.reduce((a, b) => a + b, 0), total);
        });
      }
      await api("/api/buyer/case/submit", {
        method: "POST",
        body: { note: note || null, locale: this.locale, timezone: localZone() },
        as: "buyer",
      });
    } catch (err) {
      $("async-submit").disabled = false;
      this.onError(STEPS_CHANGED.has(uploadErrorCode(err)) ? "record.steps_changed" : "record.refused");
      return;
    }
    this.progress(total, total);
    this.receipt();
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.done();
  }
}

/** The shop's replies to this link's case, shown on the reopened link; an invitation to a
 *  call is shown by case_invite.js (`canJoin()`: whether the page could start one now). */
export async function showReplies(locale, canJoin = () => false) {
  let found;
  try {
    found = await api(`/api/buyer/case?locale=${encodeURIComponent(locale)}`, { as: "buyer" });
  } catch {
    return;
  }
  showInvite(found.replies, canJoin);
  const items = found.replies
    .filter((reply) => reply.text && !reply.invite_at)
    .map((reply) => el("li", { class: "case-reply", testid: "case-reply", text: reply.text }));
  $("case-reply-list").replaceChildren(...items);
  $("case-replies").hidden = items.length === 0;
}
