// A still photo at the camera's own resolution, never the scaled-down call video: the
// buyer's photos, the buyer's guided recording and the agent's phone as the camera all
// take theirs here.

/** A still photo from ``track`` at the camera's own resolution: ImageCapture.takePhoto()
 *  where the browser has it, else the current frame drawn at the track's size. Resolves
 *  with a Blob; rejects when the camera is off. */
export async function takeStill(track) {
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
