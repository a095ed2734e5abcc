import assert from "node:assert/strict";
import pg from "pg";
import { rawExchange, type RawChunk } from "./support/raw-connection.js";
import { startAnalyzerStub, type AnalyzerStub } from "./support/analyzer-stub.js";
import { startApi, type RunningApi } from "./support/in-process.js";
import { makePng } from "./support/png.js";
import { apiEnv, freshDatabase, services, type Database } from "./support/services.js";

const PNG = makePng(16, 16);

function upload(api: RunningApi): Promise<Response> {
  const body = new FormData();
  body.append("image", new Blob([PNG], { type: "image/png" }), "a.png");
  return fetch(`${api.url}/api/analyses`, { method: "POST", body });
}

/** Sends raw bytes on a new connection and resolves with everything the server sent back before closing. */
function raw(api: RunningApi, chunks: RawChunk[], timeoutMs = 20_000): Promise<string> {
  return rawExchange(Number(new URL(api.url).port), chunks, timeoutMs);
}

const MULTIPART_HEAD =
  "--B\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n";

describe("api limits on memory and time (in-process, real PostgreSQL and Redis, stand-in analyzer)", () => {
  let db: Database;
  let analyzer: AnalyzerStub;
  let sql: pg.Client;
  let env: Record<string, string>;
  const apis: RunningApi[] = [];

  before(async () => {
    const { redis } = await services();
    [db, analyzer] = await Promise.all([freshDatabase({ migrated: true }), startAnalyzerStub()]);
    env = apiEnv(db, redis, analyzer.url);
    sql = new pg.Client(db);
    await sql.connect();
  });

  afterEach(async () => {
    await Promise.all(apis.splice(0).map((api) => api.close()));
    analyzer.behaviour = { kind: "ok" };
  });

  after(async () => {
    await Promise.all([analyzer?.close(), sql?.end()]);
  });

  async function start(overrides: Record<string, string>): Promise<RunningApi> {
    const api = await startApi({ ...env, ...overrides });
    apis.push(api);
    return api;
  }

  async function rows(): Promise<number> {
    return Number((await sql.query<{ count: string }>("SELECT count(*) FROM analyses")).rows[0]?.count);
  }

  it("holds uploads beyond MAX_CONCURRENT_UPLOADS back, then answers 503 with Retry-After", async () => {
    const api = await start({ MAX_CONCURRENT_UPLOADS: "2", UPLOAD_QUEUE_TIMEOUT_MS: "300", ANALYZER_TIMEOUT_MS: "20000" });
    analyzer.behaviour = { kind: "ok", delayMs: 3_000 };
    const before = analyzer.received.length;
    const first = [upload(api), upload(api)];
    // Both slots are taken once both bodies reached the analyzer.
    const deadline = Date.now() + 10_000;
    while (analyzer.received.length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const refused = await upload(api);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.deepEqual(await refused.json(), { error: { code: "UPLOADS_BUSY", message: "too many uploads in progress, retry shortly" } });
    assert.deepEqual((await Promise.all(first)).map((response) => response.status), [201, 201]);
    assert.equal(analyzer.received.length, before + 2, "the refused upload never reached the analyzer");
  });

  it("lets a waiting upload through when a slot frees within UPLOAD_QUEUE_TIMEOUT_MS", async () => {
    const api = await start({ MAX_CONCURRENT_UPLOADS: "1", UPLOAD_QUEUE_TIMEOUT_MS: "15000" });
    analyzer.behaviour = { kind: "ok", delayMs: 300 };
    const statuses = (await Promise.all([upload(api), upload(api), upload(api)])).map((response) => response.status);
    assert.deepEqual(statuses, [201, 201, 201]);
  });

  it("gives slots back whatever happens: rejected, failed and abandoned uploads", async () => {
    const api = await start({ MAX_CONCURRENT_UPLOADS: "1", UPLOAD_QUEUE_TIMEOUT_MS: "100", ANALYZER_TIMEOUT_MS: "500" });
    analyzer.behaviour = { kind: "status", status: 500, body: "boom" };
    assert.equal((await upload(api)).status, 502);
    analyzer.behaviour = { kind: "hang" };
    assert.equal((await upload(api)).status, 504);
    await raw(api, [`POST /api/analyses HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 5000\r\n\r\n${MULTIPART_HEAD}`], 300).catch(() => "");
    analyzer.behaviour = { kind: "ok" };
    assert.equal((await upload(api)).status, 201);
  });

  it("cuts a body that stalls for BODY_IDLE_TIMEOUT_MS with 408, storing nothing", async () => {
    const api = await start({ BODY_IDLE_TIMEOUT_MS: "500" });
    const before = await rows();
    const answer = await raw(api, [
      `POST /api/analyses HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 5000\r\n\r\n`,
      MULTIPART_HEAD,
      "\x89PNG",
      // ...and nothing more
    ]);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"BODY_TIMEOUT"/);
    assert.equal(await rows(), before);
    assert.equal((await fetch(`${api.url}/health`)).status, 200);
  });

  it("cuts a body that trickles past REQUEST_TIMEOUT_MS, and headers that do not end in HEADERS_TIMEOUT_MS", async () => {
    const api = await start({ BODY_IDLE_TIMEOUT_MS: "5000", REQUEST_TIMEOUT_MS: "1500", HEADERS_TIMEOUT_MS: "1000" });
    const trickle: RawChunk[] = [
      `POST /api/analyses HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 5000\r\n\r\n${MULTIPART_HEAD}`,
    ];
    for (let i = 0; i < 40; i += 1) trickle.push({ pauseMs: 200 }, "x");
    assert.match(await raw(api, trickle), /^HTTP\/1\.1 408 /);
    const slowHeaders: RawChunk[] = ["GET /health HTTP/1.1\r\n"];
    for (let i = 0; i < 20; i += 1) slowHeaders.push({ pauseMs: 200 }, `X-Slow-${i}: y\r\n`);
    assert.match(await raw(api, slowHeaders), /^HTTP\/1\.1 408 /);
  });

  it("keeps idle keep-alive connections beyond HEADERS_TIMEOUT_MS usable", async () => {
    const api = await start({ REQUEST_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "500" });
    const get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    const answer = await raw(api, [get, { pauseMs: 1_500 }, get, { pauseMs: 300 }, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    assert.equal(answer.match(/HTTP\/1\.1 200 /g)?.length, 3, answer);
  });
});
