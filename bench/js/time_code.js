// The time code: an 8 x 6 grid of black/white cells over the middle 80% of the frame.
// Cells 0-3 and 44-47 are a fixed sync pattern, 4-35 carry Date.now() mod 2^32 (most
// significant bit first), 36-43 a check byte (XOR of the four bytes and 0x5A).
// Defines CODE; included in the buyer's and the agent's scripts (see page_script).
const CODE = {
  COLS: 8, ROWS: 6,
  SYNC_HEAD: [1, 0, 1, 0], SYNC_TAIL: [0, 1, 0, 1],
  bits(ms) {
    const v = ms % 4294967296;
    const bytes = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    const check = bytes[0] ^ bytes[1] ^ bytes[2] ^ bytes[3] ^ 0x5a;
    const out = [...this.SYNC_HEAD];
    for (const byte of [...bytes, check]) for (let b = 7; b >= 0; b--) out.push((byte >> b) & 1);
    return out.concat(this.SYNC_TAIL);
  },
  cell(i, w, h) {
    const col = i % this.COLS, row = Math.floor(i / this.COLS);
    const cw = (0.8 * w) / this.COLS, ch = (0.8 * h) / this.ROWS;
    return [0.1 * w + col * cw, 0.1 * h + row * ch, cw, ch];
  },
  decode(bits) {
    for (let i = 0; i < 4; i++) {
      if (bits[i] !== this.SYNC_HEAD[i] || bits[44 + i] !== this.SYNC_TAIL[i]) return null;
    }
    const bytes = [];
    for (let k = 0; k < 5; k++) {
      let byte = 0;
      for (let b = 0; b < 8; b++) byte = (byte << 1) | bits[4 + k * 8 + b];
      bytes.push(byte);
    }
    if ((bytes[0] ^ bytes[1] ^ bytes[2] ^ bytes[3] ^ 0x5a) !== bytes[4]) return null;
    return ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3];
  },
};
