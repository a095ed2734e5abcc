// @vitest-environment node
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiError, createApiClient } from "../src/api/client";
import { makeAnalysis } from "./fixtures";

/** What the fake api saw, and what it should answer next. */
interface Exchange {
  method?: string;
  url?: string;
  headers?: IncomingMessage["headers"];
  body?: Buffer;
  reply: (res: ServerResponse) => void;
}

function json(status: number, body: unknown) {
  return (res: ServerResponse) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

let server: Server;
let baseUrl: string;
let exchange: Exchange;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      Object.assign(exchange, { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      exchange.reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  exchange = { reply: json(500, { error: { code: "unset", message: "test did not set a reply" } }) };
});

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("api client against a real HTTP server", () => {
  it("uploads the file as the multipart field `image` and returns the created analysis", async () => {
    const created = makeAnalysis({ filename: "block.png" });
    exchange.reply = json(201, created);
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

    const analysis = await createApiClient({ baseUrl }).uploadImage(new File([bytes], "block.png", { type: "image/png" }));

    expect(analysis).toEqual(created);
    expect(exchange.method).toBe("POST");
    expect(exchange.url).toBe("/api/analyses");
    expect(exchange.headers?.["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const body = exchange.body?.toString("latin1") ?? "";
    expect(body).toContain('Content-Disposition: form-data; name="image"; filename="block.png"');
    expect(body).toContain("Content-Type: image/png");
    expect(body).toContain(Buffer.from(bytes).toString("latin1"));
  });

  it("asks for one analysis by its id, escaped into the path", async () => {
    const stored = makeAnalysis();
    exchange.reply = json(200, stored);

    await expect(createApiClient({ baseUrl }).getAnalysis("a/b c")).resolves.toEqual(stored);
    expect(exchange.method).toBe("GET");
    expect(exchange.url).toBe("/api/analyses/a%2Fb%20c");
  });

  it("lists with limit and cursor in the query and returns the page with its next cursor", async () => {
    const items = [makeAnalysis(), makeAnalysis()];
    exchange.reply = json(200, { items, nextCursor: "eyJhbGciOi.next" });

    const page = await createApiClient({ baseUrl }).listAnalyses({ limit: 2, cursor: "eyJ+/=" });

    expect(page).toEqual({ items, nextCursor: "eyJhbGciOi.next" });
    const url = new URL(exchange.url ?? "", "http://x");
    expect(url.pathname).toBe("/api/analyses");
    expect(url.searchParams.get("limit")).toBe("2");
    expect(url.searchParams.get("cursor")).toBe("eyJ+/=");
  });

  it("lists without a query when given no options", async () => {
    exchange.reply = json(200, { items: [], nextCursor: null });

    await expect(createApiClient({ baseUrl }).listAnalyses()).resolves.toEqual({ items: [], nextCursor: null });
    expect(exchange.url).toBe("/api/analyses");
  });

  it("turns the api's error body into an ApiError with its code, message and status", async () => {
    exchange.reply = json(415, { error: { code: "unsupported_media_type", message: "Only PNG, JPEG, WebP and GIF images are accepted." } });

    const error = await rejection(createApiClient({ baseUrl }).uploadImage(new File(["hello"], "notes.txt", { type: "text/plain" })));

    expect(error.status).toBe(415);
    expect(error.code).toBe("unsupported_media_type");
    expect(error.message).toBe("Only PNG, JPEG, WebP and GIF images are accepted.");
  });

  it("explains a non-JSON error (a proxy's HTML 413 page) from its status", async () => {
    exchange.reply = (res) => {
      res.writeHead(413, { "Content-Type": "text/html" });
      res.end("<html><body><h1>413 Request Entity Too Large</h1></body></html>");
    };

    const error = await rejection(createApiClient({ baseUrl }).uploadImage(new File(["x"], "big.png")));

    expect(error).toMatchObject({ status: 413, code: "http_413", message: "The image is larger than the server accepts." });
  });

  it("rejects a successful response whose body is not an analysis", async () => {
    exchange.reply = json(200, { id: "x", filename: "a.png" });

    const error = await rejection(createApiClient({ baseUrl }).getAnalysis("x"));

    expect(error).toMatchObject({ status: 200, code: "invalid_response" });
  });

  it("rejects an occupancy grid whose cells disagree with rows and cols", async () => {
    const analysis = makeAnalysis();
    exchange.reply = json(200, { ...analysis, result: { ...analysis.result, occupancyGrid: { rows: 3, cols: 4, cells: analysis.result.occupancyGrid.cells } } });

    await expect(rejection(createApiClient({ baseUrl }).getAnalysis(analysis.id))).resolves.toMatchObject({ code: "invalid_response" });
  });

  it("reports a network failure when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = await rejection(createApiClient({ baseUrl: `http://127.0.0.1:${port}/api` }).listAnalyses());

    expect(error).toMatchObject({ status: 0, code: "network_error" });
  });
});
