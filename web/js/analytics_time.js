// Local dates in a time zone as instants: the analytics' period and weeks are the
// viewer's (the staff user's time zone), while the API takes UTC instants.

/** The offset (ms) of `zone` from UTC at the instant `ms`. */
function offsetAt(ms, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(ms))
      .filter((p) => p.type !== "literal")
      .map((p) => [p.type, Number(p.value)]),
  );
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant (Date) local midnight of `isoDate` ("2026-11-02") is in `zone`. */
export function midnightIn(isoDate, zone) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d);
  let ms = guess - offsetAt(guess, zone);
  ms = guess - offsetAt(ms, zone); // again, in case the offset differs there (DST)
  return new Date(ms);
}

/** "2026-11-02" of the instant `date` in `zone`. */
export function localDate(date, zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

/** `isoDate` moved by `days` (calendar days). */
export function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
