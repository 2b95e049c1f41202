// One photo tile component: the console's evidence strip during a call (with a caption
// to write) and the photos of a call in the review (with its moment in the video).
import { patch } from "./api.js";
import { t } from "./staff_i18n.js";
import { el, formatDuration } from "./ui.js";

/**
 * Where the agent's answer falls on the call clock (ms): the moments staff see (photos,
 * chat, timeline) count from the answer, as the console's call timer does. `t_ms` values
 * from the server count from the call's creation (the buyer's consent), queue included.
 */
export function answerOffsetMs(startedAt, answeredAt) {
  if (answeredAt === null || answeredAt === undefined) return 0;
  return Math.max(0, new Date(answeredAt).getTime() - new Date(startedAt).getTime());
}

/** The address of a call's photo (the full-size file; staff only). */
export function photoUrl(sessionId, photoId) {
  return `/api/sessions/${encodeURIComponent(sessionId)}/photos/${photoId}`;
}

/**
 * A tile for `photo` ({id, url, t_ms, width, height, caption}): the picture (a link to the
 * full-size file), the moment it was taken, its size and its caption.
 * - `atMs`: the moment shown, in ms from the agent's answer (callers subtract
 *   `answerOffsetMs`; one photo shows one time in the console and the review);
 * - `onSeek(photo)`: the moment is a button that shows it in the video;
 * - `editable`: the caption is a field saved to the server on change.
 */
export function photoTile(photo, { atMs = photo.t_ms, onSeek = null, editable = false } = {}) {
  const at = formatDuration(Math.max(0, atMs) / 1000);
  const time = onSeek
    ? el("button", {
        type: "button",
        class: "link-button photo-time",
        testid: "evidence-time",
        title: t("photo.seek"),
        text: at,
        onclick: () => onSeek(photo),
      })
    : el("span", { class: "photo-time", testid: "evidence-time", text: at });
  return el(
    "li",
    {
      class: "photo-tile",
      testid: "evidence-item",
      dataset: { photoId: photo.id, width: photo.width, height: photo.height },
    },
    el(
      "a",
      {
        class: "photo-frame",
        href: photo.url,
        target: "_blank",
        rel: "noopener",
        title: t("photo.open"),
      },
      picture(photo, t("photo.alt", { at })),
    ),
    el(
      "span",
      { class: "photo-meta" },
      time,
      ` · ${photo.width}×${photo.height}`,
      !editable && photo.caption ? el("span", { class: "caption", text: ` · ${photo.caption}` }) : null,
    ),
    editable ? captionField(photo) : null,
  );
}

/** The picture of a tile: a placeholder (data-state="loading", styled) until the file
 * has loaded, then the photo; "failed" when it could not be loaded. */
function picture(photo, alt) {
  const img = el("img", {
    src: photo.url,
    alt: photo.caption || alt,
    testid: "photo",
    dataset: { width: photo.width, height: photo.height, state: "loading" },
    loading: "lazy",
  });
  img.addEventListener("load", () => {
    img.dataset.state = "loaded";
  });
  img.addEventListener("error", () => {
    img.dataset.state = "failed";
  });
  return img;
}

/** The caption field of an editable tile and what became of the last save. */
function captionField(photo) {
  const input = el("input", {
    type: "text",
    maxlength: "500",
    placeholder: t("photo.caption_hint"),
    "aria-label": t("photo.caption"),
    testid: "evidence-caption",
    value: photo.caption || undefined,
  });
  const saved = el("span", { class: "status", testid: "evidence-caption-status", role: "status" });
  input.addEventListener("change", async () => {
    const text = input.value.trim();
    try {
      await patch(photo.url, { caption: text || null });
      saved.textContent = t("photo.saved");
    } catch (err) {
      saved.textContent = err.message;
    }
  });
  return [input, saved];
}
