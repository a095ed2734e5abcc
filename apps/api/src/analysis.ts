import { z } from "zod";

const ratio = z.number().min(0).max(1);
const nonNegativeInt = z.number().int().min(0);

/** What the analyzer returns (CONTRACT); extra fields the analyzer adds are kept. */
export const analyzerResultSchema = z.looseObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  threshold: z.number().min(0).max(255),
  backgroundRatio: ratio,
  largestEmptyRectangle: z.looseObject({
    x: nonNegativeInt,
    y: nonNegativeInt,
    width: nonNegativeInt,
    height: nonNegativeInt,
    areaRatio: ratio,
  }),
  occupancyGrid: z.looseObject({
    rows: z.number().int().positive(),
    cols: z.number().int().positive(),
    cells: z.array(z.array(ratio)),
  }),
});

export type AnalyzerResult = z.output<typeof analyzerResultSchema>;

export interface Analysis {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
  result: AnalyzerResult;
}

/** Position of the last item of a page in the (createdAt desc, id desc) order. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
