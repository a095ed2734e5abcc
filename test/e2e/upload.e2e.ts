import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { grayscalePng } from "../../tools/testenv/png";
import { Stack } from "./support/stack";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

// A white 200x100 canvas whose left quarter is a black block. Background (the brighter class) is the
// white 150x100 on the right: 75% of the pixels, and exactly the largest empty rectangle.
const WIDTH = 200;
const HEIGHT = 100;
const BLOCK_WIDTH = 50;
const png = grayscalePng(WIDTH, HEIGHT, (x) => (x < BLOCK_WIDTH ? 0 : 255));

/** Share of foreground in each cell, with the analyzer's cell edges at floor(k * size / n). */
function expectedOccupancy(rows: number, cols: number): number[][] {
  const edge = (k: number, size: number, n: number) => Math.floor((k * size) / n);
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, (_, c) => {
      const x0 = edge(c, WIDTH, cols);
      const x1 = edge(c + 1, WIDTH, cols);
      return Math.max(0, Math.min(x1, BLOCK_WIDTH) - x0) / (x1 - x0);
    }),
  );
}

interface CreatedAnalysis {
  id: string;
  result: { threshold: number; occupancyGrid: { rows: number; cols: number } };
}

describe("NSIP end to end: Chromium -> edge nginx -> frontend nginx + api -> analyzer, PostgreSQL, Redis", function () {
  const stack = new Stack();
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let created: CreatedAnalysis | undefined;

  before(async function () {
    this.timeout(600_000);
    await stack.start();
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      console.error(`\nService logs (last lines):\n${stack.logs()}\nPage errors: ${JSON.stringify(pageErrors)}\nConsole errors: ${JSON.stringify(consoleErrors)}`);
    }
  });

  after(async function () {
    this.timeout(120_000);
    await browser?.close().catch(() => undefined);
    await stack.stop();
  });

  it("uploads a generated PNG through the page and shows its analysis, with the grid and rectangle drawn", async () => {
    await page.goto(stack.baseUrl);
    await page.getByRole("heading", { name: "Negative space analysis" }).waitFor();

    await page.getByLabel("Image", { exact: true }).setInputFiles({ name: "block.png", mimeType: "image/png", buffer: png });
    const upload = page.waitForResponse((response) => response.url().endsWith("/api/analyses") && response.request().method() === "POST");
    await page.getByRole("button", { name: "Analyze" }).click();
    const response = await upload;
    assert.equal(response.status(), 201, await response.text());
    created = (await response.json()) as CreatedAnalysis;

    await page.getByRole("heading", { name: "Analysis of block.png" }).waitFor();
    const fact = (name: string) => page.getByLabel(name, { exact: true }).textContent();
    assert.equal(await fact("Dimensions"), "200 × 100 px");
    assert.equal(await fact("Background ratio"), "75.0%");
    assert.equal(await fact("Threshold"), String(created.result.threshold));
    assert.equal(await fact("Largest empty rectangle"), "150 × 100 px at (50, 0), 75.0% of the image");
    assert.equal(new URL(page.url()).pathname, `/analyses/${created.id}`);

    // The grid: one cell per value, with the values the analyzer must give for this image, laid out
    // by the stylesheet as rows x cols boxes (unstyled, the empty cells would have no size at all).
    const { rows, cols } = created.result.occupancyGrid;
    const grid = page.getByRole("table", { name: "Occupancy grid" });
    const cells = grid.getByRole("cell");
    assert.equal(await cells.count(), rows * cols);
    const values = await cells.evaluateAll((elements) => elements.map((element) => Number(element.getAttribute("data-occupancy"))));
    assert.deepEqual(values, expectedOccupancy(rows, cols).flat());
    const firstCell = await cells.first().boundingBox();
    const lastInFirstRow = await cells.nth(cols - 1).boundingBox();
    const firstInSecondRow = await cells.nth(cols).boundingBox();
    assert.ok(firstCell && lastInFirstRow && firstInSecondRow, "grid cells are rendered");
    assert.ok(firstCell.width > 4 && firstCell.height > 4, `cells have size: ${JSON.stringify(firstCell)}`);
    assert.ok(Math.abs(lastInFirstRow.y - firstCell.y) < 1 && lastInFirstRow.x > firstCell.x, "a row runs left to right");
    assert.ok(firstInSecondRow.y > firstCell.y && Math.abs(firstInSecondRow.x - firstCell.x) < 1, "rows stack top to bottom");

    // The uploaded image itself (a blob: URL the edge's CSP allows) with the rectangle over its right three quarters.
    const preview = page.getByRole("img", { name: "Uploaded image block.png" });
    const naturalWidth = await preview.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth);
    assert.equal(naturalWidth, WIDTH);
    const image = await preview.boundingBox();
    const rectangle = await page.getByRole("img", { name: /^Largest empty rectangle/ }).boundingBox();
    assert.ok(image && rectangle);
    assert.ok(Math.abs(rectangle.x - (image.x + image.width * 0.25)) <= 2, `rectangle starts a quarter in: ${JSON.stringify({ image, rectangle })}`);
    assert.ok(Math.abs(rectangle.width - image.width * 0.75) <= 2, "rectangle spans three quarters");
    assert.ok(Math.abs(rectangle.height - image.height) <= 2, "rectangle spans the full height");

    await page.screenshot({ path: path.join(tmpdir(), "nsip-e2e-analysis.png"), fullPage: true });
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
  });

  it("lists the analysis among recent analyses, and reopens it from the list after a reload", async () => {
    assert.ok(created, "the upload test ran first");
    const list = page.getByRole("list", { name: "Recent analyses" });
    const entry = list.getByRole("button", { name: /block\.png/ }).first();
    await entry.waitFor();
    assert.match((await entry.textContent()) ?? "", /75\.0% background/);
    assert.equal(await entry.getAttribute("aria-current"), "true");

    // A fresh page load on the home route: the list comes from GET /api/analyses through the edge.
    await page.goto(stack.baseUrl);
    await list.getByRole("button", { name: /block\.png/ }).first().click();
    await page.getByRole("heading", { name: "Analysis of block.png" }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/analyses/${created.id}`);

    // The analysis URL itself: nginx answers it with the app shell, the app fetches GET /api/analyses/:id.
    await page.reload();
    await page.getByRole("heading", { name: "Analysis of block.png" }).waitFor();
    assert.equal(await page.getByLabel("Background ratio", { exact: true }).textContent(), "75.0%");
    assert.equal(await page.getByRole("table", { name: "Occupancy grid" }).getByRole("cell").count(), created.result.occupancyGrid.rows * created.result.occupancyGrid.cols);
    await page.getByText("The image itself is shown only right after its upload.").waitFor();
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
  });

  it("shows the api's own error message when the upload is not an image", async () => {
    await page.goto(stack.baseUrl);
    await page.getByLabel("Image", { exact: true }).setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image\n") });
    const upload = page.waitForResponse((response) => response.url().endsWith("/api/analyses") && response.request().method() === "POST");
    await page.getByRole("button", { name: "Analyze" }).click();
    const response = await upload;
    assert.ok(response.status() >= 400 && response.status() < 500, `status ${response.status()}`);
    const body = (await response.json()) as { error: { code: string; message: string } };

    const alert = page.getByRole("form", { name: "Upload an image" }).getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.textContent(), body.error.message);
    assert.equal(await page.getByRole("heading", { name: /^Analysis of/ }).count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});
