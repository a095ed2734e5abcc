import type { OccupancyGrid } from "../api/types";
import { formatPercent } from "../lib/format";

interface Props {
  grid: OccupancyGrid;
  /** The image's aspect ratio, so each cell covers the same region it summarises. */
  aspectRatio: number;
}

/** One shaded cell per grid value: darker means more foreground in that region of the image. */
export function OccupancyGridView({ grid, aspectRatio }: Props) {
  return (
    <div
      role="table"
      aria-label="Occupancy grid"
      aria-rowcount={grid.rows}
      aria-colcount={grid.cols}
      className="occupancy-grid"
      style={{ gridTemplateColumns: `repeat(${grid.cols}, 1fr)`, aspectRatio }}
    >
      {grid.cells.map((row, r) => (
        <div role="row" key={r} className="occupancy-row">
          {row.map((occupancy, c) => {
            const label = `Row ${r + 1}, column ${c + 1}: ${formatPercent(occupancy)} occupied`;
            return (
              <div
                role="cell"
                key={c}
                aria-label={label}
                title={label}
                data-occupancy={occupancy}
                className="occupancy-cell"
                style={{ backgroundColor: `rgba(17, 24, 39, ${Math.min(Math.max(occupancy, 0), 1)})` }}
              />
            );
          })}
        </div>
      ))}
    </div>
  );
}
