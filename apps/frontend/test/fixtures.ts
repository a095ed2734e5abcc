import type { Analysis, AnalyzerResult } from "../src/api/types";

/** A 200x100 image whose left half is a black block: 50% background, empty right half. */
export function makeResult(overrides: Partial<AnalyzerResult> = {}): AnalyzerResult {
  return {
    width: 200,
    height: 100,
    threshold: 127,
    backgroundRatio: 0.5,
    largestEmptyRectangle: { x: 100, y: 0, width: 100, height: 100, areaRatio: 0.5 },
    occupancyGrid: {
      rows: 2,
      cols: 4,
      cells: [
        [1, 1, 0, 0],
        [1, 0.25, 0, 0],
      ],
    },
    ...overrides,
  };
}

let counter = 0;

export function makeAnalysis(overrides: Partial<Analysis> = {}): Analysis {
  counter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`,
    filename: `image-${counter}.png`,
    contentType: "image/png",
    sizeBytes: 2048,
    createdAt: "2025-01-02T03:04:05.000Z",
    result: makeResult(),
    ...overrides,
  };
}

/** A promise whose settlement the test controls, to observe in-between states. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
