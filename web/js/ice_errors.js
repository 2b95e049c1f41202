// A STUN or TURN server's refusal, as this page's peer connection reports it
// (`icecandidateerror`). Each is told to the server once per connection (`ice_error`,
// signaling/PROTOCOL.md), which logs it. A TURN server's 401 is a credential it refused
// (wrong or expired): the connection would stay "new" until the server's connect
// deadline (15 s), so the person is told at once when the page may use TURN only, and
// otherwise when the connection has not come up by another way a moment later.

const REFUSED = 401;
const OTHER_WAY_MS = 3000; // with direct paths allowed, one of them may still connect
const MAX_URL_CHARS = 256; // what the server's message takes

/** Watch `pc`'s ICE errors: `report(message)` sends each (code, URL) once; `onRefused()`
 *  is called at most once, for a 401 while the connection is not up. */
export function watchIceErrors(pc, { policy, report, onRefused }) {
  const reported = new Set();
  let told = false;
  const tell = () => {
    if (told || ["connected", "closed"].includes(pc.connectionState)) return;
    told = true;
    onRefused();
  };
  pc.addEventListener("icecandidateerror", (event) => {
    const code = Number(event.errorCode) || 0;
    const url = String(event.url || "").slice(0, MAX_URL_CHARS);
    const seen = `${code} ${url}`;
    if (!reported.has(seen)) {
      reported.add(seen);
      report({ type: "ice_error", error_code: code, url });
    }
    if (code !== REFUSED) return;
    if (policy === "relay") tell();
    else setTimeout(tell, OTHER_WAY_MS);
  });
}
