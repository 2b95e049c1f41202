// One photo tile component: the console's evidence strip during a call (with a caption
// to write) and the photos of a call in the review (with its moment in the video).
import { patch } from "./api.js";
import { el, formatDuration } from "./ui.js";

/** The address of a call's photo (the full-size file; staff only). */
export function photoUrl(sessionId, photoId) {
  return `/api/sessions/${encodeURIComponent(sessionId)}/photos/${photoId}`;
}

/**
 * A tile for `photo` ({id, url, t_ms, width, height, caption}): the picture (a link to the
 * full-size file), the moment it was taken, its size and its caption.
 * - `atMs`: the moment shown (default the call clock, `photo.t_ms`);
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
        title: "Show this moment in the video",
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
      { href: photo.url, target: "_blank", rel: "noopener", title: "Open the full-size photo" },
      el("img", {
        src: photo.url,
        alt: photo.caption || `Photo at ${formatDuration(photo.t_ms / 1000)}`,
        testid: "photo",
        dataset: { width: photo.width, height: photo.height },
        loading: "lazy",
      }),
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

/** The caption field of an editable tile and what became of the last save. */
function captionField(photo) {
  const input = el("input", {
    type: "text",
    maxlength: "500",
    placeholder: "Add a caption",
    "aria-label": "Caption",
    testid: "evidence-caption",
    value: photo.caption || undefined,
  });
  const saved = el("span", { class: "status", testid: "evidence-caption-status", role: "status" });
  input.addEventListener("change", async () => {
    const text = input.value.trim();
    try {
      await patch(photo.url, { caption: text || null });
      saved.textContent = "Saved";
    } catch (err) {
      saved.textContent = err.message;
    }
  });
  return [input, saved];
}
