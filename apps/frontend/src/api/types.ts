/** Shapes of the api's JSON, as fixed in CONTRACT.md. */

export interface LargestEmptyRectangle {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Share of the image's area covered by the rectangle, 0..1. */
  areaRatio: number;
}

export interface OccupancyGrid {
  rows: number;
  cols: number;
  /** rows x cols occupancy values, each 0..1. */
  cells: number[][];
}

export interface AnalyzerResult {
  width: number;
  height: number;
  /** Otsu threshold, 0..255. */
  threshold: number;
  /** Share of background pixels, 0..1. */
  backgroundRatio: number;
  largestEmptyRectangle: LargestEmptyRectangle;
  occupancyGrid: OccupancyGrid;
}

export interface Analysis {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  /** ISO 8601 timestamp. */
  createdAt: string;
  result: AnalyzerResult;
}

export interface AnalysisPage {
  items: Analysis[];
  nextCursor: string | null;
}
