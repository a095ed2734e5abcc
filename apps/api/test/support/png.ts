import { crc32, deflateSync } from "node:zlib";

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * An 8-bit greyscale PNG: white background with a black rectangle covering the middle
 * `inkShare` of each side, so an analyzer has both background and foreground to find.
 * With `grain`, every pixel gets deterministic noise of up to that many grey levels (towards
 * mid-grey), which makes the file about as large as a photo of that size instead of a few KiB.
 */
export function makePng(width: number, height: number, inkShare = 0.5, grain = 0): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: greyscale
  const rowLength = width + 1; // filter byte + one byte per pixel
  const raw = Buffer.alloc(rowLength * height, 0xff);
  const [x0, x1] = [Math.floor((width * (1 - inkShare)) / 2), Math.ceil((width * (1 + inkShare)) / 2)];
  const [y0, y1] = [Math.floor((height * (1 - inkShare)) / 2), Math.ceil((height * (1 + inkShare)) / 2)];
  for (let y = 0; y < height; y++) {
    raw[y * rowLength] = 0; // filter: none
    if (y >= y0 && y < y1) raw.fill(0x00, y * rowLength + 1 + x0, y * rowLength + 1 + x1);
  }
  if (grain > 0) {
    let state = 0x2545f491; // xorshift32: the same image every run
    for (let y = 0; y < height; y++) {
      for (let offset = y * rowLength + 1; offset < (y + 1) * rowLength; offset++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        const noise = (state >>> 0) % (grain + 1);
        raw[offset] = raw[offset] === 0 ? noise : 0xff - noise;
      }
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
