import { useId, type ReactNode } from "react";
import type { Analysis } from "../api/types";
import { formatBytes, formatDateTime, formatDimensions, formatPercent } from "../lib/format";
import { EmptyRectangleOverlay } from "./EmptyRectangleOverlay";
import { OccupancyGridView } from "./OccupancyGridView";

interface Props {
  analysis: Analysis;
  previewUrl?: string;
}

/** A term/value pair whose value is named by its term, so tests and screen readers can find "Threshold". */
function Fact({ term, children }: { term: string; children: ReactNode }) {
  const id = useId();
  return (
    <div className="fact">
      <dt id={id}>{term}</dt>
      <dd aria-labelledby={id}>{children}</dd>
    </div>
  );
}

export function AnalysisView({ analysis, previewUrl }: Props) {
  const { result } = analysis;
  const rect = result.largestEmptyRectangle;
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="analysis">
      <h2 id={headingId}>Analysis of {analysis.filename}</h2>
      <p className="analysis-meta">
        {analysis.contentType}, {formatBytes(analysis.sizeBytes)}, uploaded{" "}
        <time dateTime={analysis.createdAt}>{formatDateTime(analysis.createdAt)}</time>
      </p>
      <dl className="facts">
        <Fact term="Dimensions">{formatDimensions(result.width, result.height)}</Fact>
        <Fact term="Background ratio">{formatPercent(result.backgroundRatio)}</Fact>
        <Fact term="Threshold">{result.threshold}</Fact>
        <Fact term="Largest empty rectangle">
          {formatDimensions(rect.width, rect.height)} at ({rect.x}, {rect.y}), {formatPercent(rect.areaRatio)} of the image
        </Fact>
      </dl>
      <div className="analysis-figures">
        <EmptyRectangleOverlay result={result} filename={analysis.filename} previewUrl={previewUrl} />
        <figure className="grid-figure">
          <OccupancyGridView grid={result.occupancyGrid} aspectRatio={result.width / result.height} />
          <figcaption>
            Occupancy grid, {result.occupancyGrid.rows} × {result.occupancyGrid.cols} cells (darker = more foreground)
          </figcaption>
        </figure>
      </div>
    </section>
  );
}
