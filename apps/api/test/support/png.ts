import { grayscalePng } from "../../../../tools/testenv/png.js";

/**
 * An 8-bit greyscale PNG: white background with a black rectangle covering the middle
 * `inkShare` of each side, so an analyzer has both background and foreground to find.
 * With `grain`, every pixel gets deterministic noise of up to that many grey levels (towards
 * mid-grey), which makes the file about as large as a photo of that size instead of a few KiB.
 */
export function makePng(width: number, height: number, inkShare = 0.5, grain = 0): Buffer {
  const [x0, x1] = [Math.floor((width * (1 - inkShare)) / 2), Math.ceil((width * (1 + inkShare)) / 2)];
  const [y0, y1] = [Math.floor((height * (1 - inkShare)) / 2), Math.ceil((height * (1 + inkShare)) / 2)];
  let state = 0x2545f491; // xorshift32: the same image every run
  const noise = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % (grain + 1);
  };
  return grayscalePng(width, height, (x, y) => {
    const ink = y >= y0 && y < y1 && x >= x0 && x < x1;
    if (grain === 0) return ink ? 0x00 : 0xff;
    return ink ? noise() : 0xff - noise();
  });
}
