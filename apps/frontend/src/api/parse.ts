import type { Analysis, AnalysisPage, AnalyzerResult, LargestEmptyRectangle, OccupancyGrid } from "./types";

/**
 * Checks the api's JSON at the edge of the app, so a malformed answer becomes one clear error
 * instead of a crash deep inside a component.
 */
export class InvalidResponseError extends Error {
  constructor(path: string, expected: string) {
    super(`${path}: expected ${expected}`);
    this.name = "InvalidResponseError";
  }
}

type Json = Record<string, unknown>;

function record(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidResponseError(path, "an object");
  }
  return value as Json;
}

function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidResponseError(path, "a number");
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") throw new InvalidResponseError(path, "a string");
  return value;
}

function parseRectangle(value: unknown, path: string): LargestEmptyRectangle {
  const json = record(value, path);
  return {
    x: finiteNumber(json.x, `${path}.x`),
    y: finiteNumber(json.y, `${path}.y`),
    width: finiteNumber(json.width, `${path}.width`),
    height: finiteNumber(json.height, `${path}.height`),
    areaRatio: finiteNumber(json.areaRatio, `${path}.areaRatio`),
  };
}

function parseGrid(value: unknown, path: string): OccupancyGrid {
  const json = record(value, path);
  const rows = finiteNumber(json.rows, `${path}.rows`);
  const cols = finiteNumber(json.cols, `${path}.cols`);
  const cells = json.cells;
  if (!Array.isArray(cells) || cells.length !== rows) {
    throw new InvalidResponseError(`${path}.cells`, `${rows} rows`);
  }
  return {
    rows,
    cols,
    cells: cells.map((row: unknown, r) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new InvalidResponseError(`${path}.cells[${r}]`, `${cols} values`);
      }
      return row.map((cell: unknown, c) => finiteNumber(cell, `${path}.cells[${r}][${c}]`));
    }),
  };
}

function parseResult(value: unknown, path: string): AnalyzerResult {
  const json = record(value, path);
  return {
    width: finiteNumber(json.width, `${path}.width`),
    height: finiteNumber(json.height, `${path}.height`),
    threshold: finiteNumber(json.threshold, `${path}.threshold`),
    backgroundRatio: finiteNumber(json.backgroundRatio, `${path}.backgroundRatio`),
    largestEmptyRectangle: parseRectangle(json.largestEmptyRectangle, `${path}.largestEmptyRectangle`),
    occupancyGrid: parseGrid(json.occupancyGrid, `${path}.occupancyGrid`),
  };
}

export function parseAnalysis(value: unknown, path = "analysis"): Analysis {
  const json = record(value, path);
  return {
    id: string(json.id, `${path}.id`),
    filename: string(json.filename, `${path}.filename`),
    contentType: string(json.contentType, `${path}.contentType`),
    sizeBytes: finiteNumber(json.sizeBytes, `${path}.sizeBytes`),
    createdAt: string(json.createdAt, `${path}.createdAt`),
    result: parseResult(json.result, `${path}.result`),
  };
}

export function parseAnalysisPage(value: unknown): AnalysisPage {
  const json = record(value, "page");
  if (!Array.isArray(json.items)) throw new InvalidResponseError("page.items", "an array");
  const nextCursor = json.nextCursor;
  if (nextCursor !== null && typeof nextCursor !== "string") {
    throw new InvalidResponseError("page.nextCursor", "a string or null");
  }
  return {
    items: json.items.map((item: unknown, i) => parseAnalysis(item, `page.items[${i}]`)),
    nextCursor,
  };
}

/** The api's error body `{ error: { code, message } }`, or undefined for anything else. */
export function parseErrorBody(value: unknown): { code: string; message: string } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const error = (value as Json).error;
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as Json;
  if (typeof code !== "string" || typeof message !== "string") return undefined;
  return { code, message };
}
