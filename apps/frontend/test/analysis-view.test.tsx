import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AnalysisView } from "../src/components/AnalysisView";
import { makeAnalysis, makeResult } from "./fixtures";

describe("AnalysisView", () => {
  it("shows the analysis numbers, each named by its label", () => {
    render(<AnalysisView analysis={makeAnalysis({ filename: "block.png" })} />);

    expect(screen.getByRole("heading", { name: "Analysis of block.png" })).toBeDefined();
    expect(screen.getByRole("definition", { name: "Dimensions" }).textContent).toBe("200 × 100 px");
    expect(screen.getByRole("definition", { name: "Background ratio" }).textContent).toBe("50.0%");
    expect(screen.getByRole("definition", { name: "Threshold" }).textContent).toBe("127");
    expect(screen.getByRole("definition", { name: "Largest empty rectangle" }).textContent).toBe(
      "100 × 100 px at (100, 0), 50.0% of the image",
    );
  });

  it("draws one cell per occupancy value, row by row, shaded by its value", () => {
    render(<AnalysisView analysis={makeAnalysis()} />);

    const grid = screen.getByRole("table", { name: "Occupancy grid" });
    const rows = within(grid).getAllByRole("row");
    expect(rows).toHaveLength(2);
    const firstRow = within(rows[0]!).getAllByRole("cell");
    expect(firstRow.map((cell) => cell.getAttribute("data-occupancy"))).toEqual(["1", "1", "0", "0"]);

    const partial = within(grid).getByRole("cell", { name: "Row 2, column 2: 25.0% occupied" });
    expect(partial.style.backgroundColor).toBe("rgba(17, 24, 39, 0.25)");
    expect(within(grid).getAllByRole("cell")).toHaveLength(8);
    expect(grid.style.gridTemplateColumns).toBe("repeat(4, 1fr)");
  });

  it("places the largest empty rectangle over the image in proportion to the image size", () => {
    const result = makeResult({
      width: 400,
      height: 200,
      largestEmptyRectangle: { x: 100, y: 50, width: 200, height: 100, areaRatio: 0.25 },
    });
    render(<AnalysisView analysis={makeAnalysis({ filename: "photo.png", result })} previewUrl="blob:preview" />);

    const rectangle = screen.getByRole("img", { name: "Largest empty rectangle, 200 × 100 px at x 100, y 50" });
    expect(rectangle.style.left).toBe("25%");
    expect(rectangle.style.top).toBe("25%");
    expect(rectangle.style.width).toBe("50%");
    expect(rectangle.style.height).toBe("50%");
    const preview = screen.getByRole("img", { name: "Uploaded image photo.png" });
    expect(preview.getAttribute("src")).toBe("blob:preview");
    expect(preview.parentElement).toBe(rectangle.parentElement);
  });

  it("keeps the rectangle on an empty frame when the image itself is not available", () => {
    render(<AnalysisView analysis={makeAnalysis({ filename: "old.png" })} />);

    expect(screen.queryByRole("img", { name: /Uploaded image/ })).toBeNull();
    expect(screen.getByRole("img", { name: /Largest empty rectangle/ })).toBeDefined();
    expect(screen.getByText("The image itself is shown only right after its upload.")).toBeDefined();
  });
});
