import type { AnalyzerResult } from "../api/types";
import { formatDimensions } from "../lib/format";

interface Props {
  result: AnalyzerResult;
  filename: string;
  /** Object URL of the image when it was uploaded from this page; the api does not serve image bytes back. */
  previewUrl?: string;
}

function percent(part: number, whole: number): string {
  return `${(part / whole) * 100}%`;
}

/** The image (or a frame of its shape) with the largest empty rectangle drawn on top. */
export function EmptyRectangleOverlay({ result, filename, previewUrl }: Props) {
  const { width, height, largestEmptyRectangle: rect } = result;
  return (
    <figure className="overlay">
      <div className="overlay-frame" style={{ aspectRatio: `${width} / ${height}` }}>
        {previewUrl ? (
          <img src={previewUrl} alt={`Uploaded image ${filename}`} className="overlay-image" />
        ) : (
          <p className="overlay-placeholder">The image itself is shown only right after its upload.</p>
        )}
        <div
          role="img"
          aria-label={`Largest empty rectangle, ${formatDimensions(rect.width, rect.height)} at x ${rect.x}, y ${rect.y}`}
          className="overlay-rectangle"
          style={{
            left: percent(rect.x, width),
            top: percent(rect.y, height),
            width: percent(rect.width, width),
            height: percent(rect.height, height),
          }}
        />
      </div>
      <figcaption>Largest empty rectangle (dashed) over the image</figcaption>
    </figure>
  );
}
