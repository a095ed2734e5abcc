import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { request } from "node:http";
import pg from "pg";
import { createClient } from "redis";
import { SignJWT } from "jose";
import { startAnalyzerStub, type AnalyzerStub } from "./support/analyzer-stub.js";
import { startApi, type RunningApi } from "./support/in-process.js";
import { makePng } from "./support/png.js";
import { apiEnv, freshDatabase, JWT_SECRET, services, type Database } from "./support/services.js";

interface ErrorResponse {
  error: { code: string; message: string };
}

interface AnalysisJson {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
  result: { width: number; height: number };
}

const MAX_UPLOAD_BYTES = 256 * 1024;
const PNG = makePng(64, 48);

function form(bytes: Uint8Array, type: string, filename = "picture.png", field = "image"): FormData {
  const body = new FormData();
  body.append(field, new Blob([bytes], { type }), filename);
  return body;
}

async function postImage(api: RunningApi, body: FormData | string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.url}/api/analyses`, { method: "POST", body, headers });
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = (await response.json()) as ErrorResponse;
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${JSON.stringify(body)}`);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function metricValue(api: RunningApi, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(api.metricsUrl)).text();
  const line = text.split("\n").find((entry) => entry.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ")[1]) : Number.NaN;
}

describe("api (in-process, real PostgreSQL and Redis, stand-in analyzer)", () => {
  let db: Database;
  let analyzer: AnalyzerStub;
  let api: RunningApi;
  let sql: pg.Client;
  let env: Record<string, string>;

  before(async () => {
    const { redis } = await services();
    [db, analyzer] = await Promise.all([freshDatabase({ migrated: true }), startAnalyzerStub()]);
    env = apiEnv(db, redis, analyzer.url, {
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      CORS_ORIGINS: "https://app.example.test, https://other.example.test",
    });
    api = await startApi(env);
    sql = new pg.Client(db);
    await sql.connect();
  });

  after(async () => {
    await Promise.all([api?.close(), analyzer?.close(), sql?.end()]);
  });

  beforeEach(() => {
    analyzer.behaviour = { kind: "ok" };
    analyzer.received.length = 0;
  });

  describe("probes", () => {
    it("GET /health answers 200 without touching dependencies", async () => {
      const response = await fetch(`${api.url}/health`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: "ok" });
    });

    it("GET /ready answers 200 when PostgreSQL and Redis answer", async () => {
      const response = await fetch(`${api.url}/ready`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: "ready", checks: { postgres: "ok", redis: "ok" } });
    });

    it("GET /ready answers 503 naming each dependency that is down, while /health stays 200", async () => {
      const broken = await startApi({ ...env, PGPORT: "1", REDIS_PORT: "1" });
      try {
        const response = await fetch(`${broken.url}/ready`);
        const body = (await response.json()) as ErrorResponse & { checks: Record<string, string> };
        assert.equal(response.status, 503);
        assert.equal(body.error.code, "NOT_READY");
        assert.deepEqual(body.checks, { postgres: "down", redis: "down" });
        assert.equal((await fetch(`${broken.url}/health`)).status, 200);
      } finally {
        await broken.close();
      }
    });

    it("GET /ready answers 503 SHUTTING_DOWN once a shutdown has begun", async () => {
      const draining = await startApi(env);
      try {
        draining.lifecycle.beginShutdown();
        const response = await fetch(`${draining.url}/ready`);
        assert.equal(response.status, 503);
        assert.equal(response.headers.get("connection"), "close");
        assert.equal(((await response.json()) as ErrorResponse).error.code, "SHUTTING_DOWN");
      } finally {
        await draining.close();
      }
    });
  });

  describe("POST /api/analyses", () => {
    it("sends the bytes to the analyzer, stores and caches the analysis, answers 201", async () => {
      const created = await metricValue(api, "nsip_api_analyses_created_total");
      const response = await postImage(api, form(PNG, "image/png", "scan.png"), { "X-Request-Id": "req-123" });
      assert.equal(response.status, 201);
      assert.equal(response.headers.get("x-request-id"), "req-123");
      const analysis = (await response.json()) as AnalysisJson;
      assert.equal(response.headers.get("location"), `/api/analyses/${analysis.id}`);
      assert.match(analysis.id, /^[0-9a-f-]{36}$/);
      assert.equal(analysis.filename, "scan.png");
      assert.equal(analysis.contentType, "image/png");
      assert.equal(analysis.sizeBytes, PNG.length);
      assert.ok(!Number.isNaN(Date.parse(analysis.createdAt)));
      assert.equal(analysis.result.width, 64);
      assert.equal(analysis.result.height, 48);

      assert.deepEqual(analyzer.received, [{ contentType: "image/png", requestId: "req-123", bytes: PNG.length }]);
      const { rows } = await sql.query("SELECT filename, size_bytes, result FROM analyses WHERE id = $1", [analysis.id]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].size_bytes, PNG.length);
      assert.equal(rows[0].result.width, 64);
      const { redis } = await services();
      const client = createClient({ socket: { host: redis.host, port: redis.port }, password: redis.password });
      await client.connect();
      try {
        const cached = JSON.parse((await client.get(`nsip:analysis:${analysis.id}`)) ?? "null") as AnalysisJson;
        assert.deepEqual(cached, analysis);
        const ttl = await client.ttl(`nsip:analysis:${analysis.id}`);
        assert.ok(ttl > 3000 && ttl <= 3600, `TTL ${ttl} should come from CACHE_TTL_SECONDS`);
      } finally {
        await client.close();
      }
      assert.equal(await metricValue(api, "nsip_api_analyses_created_total"), created + 1);
    });

    it("generates a request id when none (or a malformed one) is sent", async () => {
      const response = await postImage(api, form(PNG, "image/png"), { "X-Request-Id": "bad id with spaces" });
      assert.equal(response.status, 201);
      const id = response.headers.get("x-request-id") ?? "";
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal(analyzer.received[0]?.requestId, id);
    });

    it("accepts JPEG, GIF and WebP by their bytes, and image/jpg as JPEG", async () => {
      const samples: Array<[Buffer, string, string]> = [
        [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]), "image/jpg", "image/jpeg"],
        [Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1"), "image/gif", "image/gif"],
        [Buffer.concat([Buffer.from("RIFF\x1a\x00\x00\x00WEBPVP8 ", "latin1"), Buffer.alloc(14)]), "image/webp", "image/webp"],
      ];
      for (const [bytes, declared, stored] of samples) {
        const response = await postImage(api, form(bytes, declared, "x"));
        assert.equal(response.status, 201, `${declared}: ${await response.clone().text()}`);
        assert.equal(((await response.json()) as AnalysisJson).contentType, stored);
      }
      assert.deepEqual(
        analyzer.received.map((received) => received.contentType),
        ["image/jpeg", "image/gif", "image/webp"],
      );
    });

    it("keeps a UTF-8 file name and drops path parts and control characters", async () => {
      const response = await postImage(api, form(PNG, "image/png", "dir/sub/Größe\t карта\n.png"));
      assert.equal(response.status, 201);
      assert.equal(((await response.json()) as AnalysisJson).filename, "Größe карта.png");
    });

    it("drops bidirectional overrides, isolates and zero-width characters from the file name", async () => {
      // U+202E makes "invoice\u202Egnp.exe" display as "invoiceexe.png".
      const response = await postImage(api, form(PNG, "image/png", "invoice\u202Egnp\u2066.\u200Bexe\u2069\u2028.png"));
      assert.equal(response.status, 201);
      const { id, filename } = (await response.json()) as AnalysisJson;
      assert.equal(filename, "invoicegnp.exe.png");
      const { rows } = await sql.query<{ filename: string }>("SELECT filename FROM analyses WHERE id = $1", [id]);
      assert.equal(rows[0]?.filename, "invoicegnp.exe.png");
    });

    it("answers 413 for an image over MAX_UPLOAD_BYTES (found while parsing)", async () => {
      const oversized = Buffer.concat([PNG, Buffer.alloc(MAX_UPLOAD_BYTES + 1 - PNG.length)]);
      await expectError(await postImage(api, form(oversized, "image/png")), 413, "IMAGE_TOO_LARGE");
      assert.equal(analyzer.received.length, 0);
    });

    it("answers 413 from the declared Content-Length before reading a far larger body", async () => {
      const huge = Buffer.concat([PNG, Buffer.alloc(MAX_UPLOAD_BYTES * 4)]);
      await expectError(await postImage(api, form(huge, "image/png")), 413, "IMAGE_TOO_LARGE");
    });

    it("answers 415 for a type the analyzer does not take", async () => {
      await expectError(await postImage(api, form(Buffer.from("hello"), "text/plain", "a.txt")), 415, "UNSUPPORTED_MEDIA_TYPE");
      await expectError(await postImage(api, form(Buffer.from("<svg/>"), "image/svg+xml", "a.svg")), 415, "UNSUPPORTED_MEDIA_TYPE");
    });

    it("answers 415 when the bytes are not the image type claimed (fake magic bytes)", async () => {
      await expectError(await postImage(api, form(Buffer.from("not really a png"), "image/png")), 415, "CONTENT_MISMATCH");
      const jpegBytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
      await expectError(await postImage(api, form(jpegBytes, "image/png")), 415, "CONTENT_MISMATCH");
      assert.equal(analyzer.received.length, 0);
    });

    it("answers 400 when the image field is missing, empty or misnamed", async () => {
      const noFile = new FormData();
      noFile.append("note", "no image here");
      await expectError(await postImage(api, noFile), 400, "MISSING_IMAGE");
      await expectError(await postImage(api, form(Buffer.alloc(0), "image/png")), 400, "EMPTY_IMAGE");
      await expectError(await postImage(api, form(PNG, "image/png", "a.png", "file")), 400, "UNEXPECTED_FIELD");
      const twoImages = form(PNG, "image/png");
      twoImages.append("image", new Blob([PNG], { type: "image/png" }), "b.png");
      await expectError(await postImage(api, twoImages), 400, "UNEXPECTED_FIELD");
      await expectError(await postImage(api, undefined), 400, "MISSING_IMAGE");
    });

    it("answers 415 for a body that is not multipart, and 400 for a broken multipart body", async () => {
      await expectError(await postImage(api, '{"image":"x"}', { "content-type": "application/json" }), 415, "EXPECTED_MULTIPART");
      const broken = "--XYZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG";
      await expectError(
        await postImage(api, broken, { "content-type": "multipart/form-data; boundary=XYZ" }),
        400,
        "MALFORMED_MULTIPART",
      );
      const garbage = await postImage(api, "garbage", { "content-type": "multipart/form-data" });
      assert.deepEqual(await garbage.json(), { error: { code: "MALFORMED_MULTIPART", message: "the multipart body could not be read" } });
    });

    it("survives a client that disconnects in the middle of an upload", async () => {
      const url = new URL(`${api.url}/api/analyses`);
      await new Promise<void>((resolve) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { "content-type": "multipart/form-data; boundary=B", "content-length": "100000" },
        });
        req.on("error", () => resolve());
        req.write("--B\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n");
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
      assert.equal((await fetch(`${api.url}/health`)).status, 200);
    });

    it("answers 502 when the analyzer is unreachable", async () => {
      const unreachable = await startApi({ ...env, ANALYZER_URL: "http://127.0.0.1:1" });
      try {
        const response = await postImage(unreachable, form(PNG, "image/png"));
        assert.deepEqual(await response.json(), { error: { code: "ANALYZER_UNAVAILABLE", message: "the analyzer could not be reached" } });
        assert.equal(response.status, 502);
      } finally {
        await unreachable.close();
      }
    });

    it("answers 504 when the analyzer does not answer within ANALYZER_TIMEOUT_MS", async () => {
      const impatient = await startApi({ ...env, ANALYZER_TIMEOUT_MS: "300" });
      try {
        analyzer.behaviour = { kind: "hang" };
        const started = Date.now();
        await expectError(await postImage(impatient, form(PNG, "image/png")), 504, "ANALYZER_TIMEOUT");
        assert.ok(Date.now() - started < 2000, "the timeout must cut the call short");
      } finally {
        await impatient.close();
      }
    });

    it("answers 502 when the analyzer fails or answers garbage, and stores nothing", async () => {
      const { rows: before } = await sql.query<{ count: string }>("SELECT count(*) FROM analyses");
      analyzer.behaviour = { kind: "status", status: 500, body: "boom" };
      await expectError(await postImage(api, form(PNG, "image/png")), 502, "ANALYZER_ERROR");
      analyzer.behaviour = { kind: "garbage" };
      await expectError(await postImage(api, form(PNG, "image/png")), 502, "ANALYZER_BAD_RESPONSE");
      analyzer.behaviour = { kind: "status", status: 200, body: JSON.stringify({ width: 1 }) };
      await expectError(await postImage(api, form(PNG, "image/png")), 502, "ANALYZER_BAD_RESPONSE");
      const { rows: after } = await sql.query<{ count: string }>("SELECT count(*) FROM analyses");
      assert.equal(after[0]?.count, before[0]?.count);
    });

    it("answers 503 with Retry-After when the analyzer ran out of its time budget", async () => {
      analyzer.behaviour = { kind: "status", status: 503, body: JSON.stringify({ error: { code: "analysis_timeout", message: "x" } }) };
      const response = await postImage(api, form(PNG, "image/png"));
      await expectError(response, 503, "ANALYZER_BUSY");
      assert.equal(response.headers.get("retry-after"), "1");
    });

    it("cancels the analyzer call when the client goes away, and stores nothing", async () => {
      const { rows: before } = await sql.query<{ count: string }>("SELECT count(*) FROM analyses");
      analyzer.behaviour = { kind: "hang" };
      const abandonedBefore = analyzer.abandoned;
      const gone = new AbortController();
      const call = fetch(`${api.url}/api/analyses`, { method: "POST", body: form(PNG, "image/png"), signal: gone.signal });
      await waitUntil(() => analyzer.received.length === 1, 10_000, "the upload to reach the analyzer");
      gone.abort();
      await assert.rejects(call);
      await waitUntil(() => analyzer.abandoned === abandonedBefore + 1, 10_000, "the api to close the abandoned analyzer call");
      analyzer.behaviour = { kind: "ok" };
      const { rows: after } = await sql.query<{ count: string }>("SELECT count(*) FROM analyses");
      assert.equal(after[0]?.count, before[0]?.count);
    });

    it("passes the analyzer's rejection of a bad image on as a 4xx with its message", async () => {
      analyzer.behaviour = { kind: "status", status: 400, body: JSON.stringify({ error: { code: "BOMB", message: "too many pixels" } }) };
      const response = await postImage(api, form(PNG, "image/png"));
      assert.equal(response.status, 422);
      assert.deepEqual(await response.json(), { error: { code: "IMAGE_REJECTED", message: "too many pixels" } });
      analyzer.behaviour = { kind: "status", status: 413, body: JSON.stringify({ error: "image too large" }) };
      await expectError(await postImage(api, form(PNG, "image/png")), 413, "IMAGE_TOO_LARGE");
    });
  });

  describe("GET /api/analyses/:id", () => {
    async function create(): Promise<AnalysisJson> {
      const response = await postImage(api, form(PNG, "image/png"));
      assert.equal(response.status, 201);
      return (await response.json()) as AnalysisJson;
    }

    it("serves a cached analysis from Redis: a cache hit, and still served with its row deleted", async () => {
      const analysis = await create();
      const hits = await metricValue(api, "nsip_api_cache_lookups_total", '{result="hit"}');
      await sql.query("DELETE FROM analyses WHERE id = $1", [analysis.id]);
      const response = await fetch(`${api.url}/api/analyses/${analysis.id}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /application\/json/);
      assert.deepEqual(await response.json(), analysis);
      assert.equal(await metricValue(api, "nsip_api_cache_lookups_total", '{result="hit"}'), hits + 1);
    });

    it("on a miss reads PostgreSQL and fills the cache, so the next read is a hit", async () => {
      const analysis = await create();
      const { redis } = await services();
      const client = createClient({ socket: { host: redis.host, port: redis.port }, password: redis.password });
      await client.connect();
      await client.del(`nsip:analysis:${analysis.id}`);
      const misses = await metricValue(api, "nsip_api_cache_lookups_total", '{result="miss"}');
      const hits = await metricValue(api, "nsip_api_cache_lookups_total", '{result="hit"}');

      const first = await fetch(`${api.url}/api/analyses/${analysis.id.toUpperCase()}`);
      assert.equal(first.status, 200);
      assert.deepEqual(await first.json(), analysis);
      assert.equal(await metricValue(api, "nsip_api_cache_lookups_total", '{result="miss"}'), misses + 1);
      assert.ok(await client.get(`nsip:analysis:${analysis.id}`), "the miss must re-populate the cache");
      await client.close();

      const second = await fetch(`${api.url}/api/analyses/${analysis.id}`);
      assert.deepEqual(await second.json(), analysis);
      assert.equal(await metricValue(api, "nsip_api_cache_lookups_total", '{result="hit"}'), hits + 1);
    });

    it("falls back to PostgreSQL when Redis is down", async () => {
      const analysis = await create();
      const noRedis = await startApi({ ...env, REDIS_PORT: "1" });
      try {
        const response = await fetch(`${noRedis.url}/api/analyses/${analysis.id}`);
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), analysis);
      } finally {
        await noRedis.close();
      }
    });

    it("answers 400 for an id that is not a UUID and 404 for an unknown one", async () => {
      await expectError(await fetch(`${api.url}/api/analyses/not-a-uuid`), 400, "INVALID_ID");
      await expectError(await fetch(`${api.url}/api/analyses/${"1".repeat(5000)}`), 400, "INVALID_ID");
      await expectError(await fetch(`${api.url}/api/analyses/${randomUUID()}`), 404, "NOT_FOUND");
    });

    it("answers 400 for a path that is not valid percent-encoding", async () => {
      await expectError(await fetch(`${api.url}/api/analyses/%E0%A4%A`), 400, "BAD_REQUEST");
    });
  });

  describe("GET /api/analyses", () => {
    let listing: RunningApi;
    let ids: string[];

    before(async () => {
      // Its own database, so the pages hold exactly what this suite created.
      const { redis } = await services();
      const own = await freshDatabase({ migrated: true });
      listing = await startApi(apiEnv(own, redis, analyzer.url));
      ids = [];
      for (let index = 0; index < 7; index++) {
        const response = await postImage(listing, form(PNG, "image/png", `p${index}.png`));
        ids.push(((await response.json()) as AnalysisJson).id);
      }
    });

    after(async () => {
      await listing?.close();
    });

    async function page(query: string): Promise<{ items: AnalysisJson[]; nextCursor: string | null }> {
      const response = await fetch(`${listing.url}/api/analyses${query}`);
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as { items: AnalysisJson[]; nextCursor: string | null };
    }

    it("pages newest first with signed cursors until nextCursor is null", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const result = await page(query);
        seen.push(...result.items.map((item) => item.id));
        cursor = result.nextCursor;
        pages++;
        if (cursor) assert.match(cursor, /^[\w-]+\.[\w-]+\.[\w-]+$/, "cursors are compact JWTs");
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...ids].reverse());
    });

    it("defaults to 20 items and answers an empty last page with nextCursor null", async () => {
      const all = await page("");
      assert.equal(all.items.length, 7);
      assert.equal(all.nextCursor, null);
      assert.deepEqual(Object.keys(all.items[0]!).sort(), ["contentType", "createdAt", "filename", "id", "result", "sizeBytes"]);
    });

    it("answers 400 for a tampered, foreign or garbage cursor", async () => {
      const { nextCursor } = await page("?limit=2");
      assert.ok(nextCursor);
      const [header, payload, signature] = nextCursor.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { id: string };
      claims.id = randomUUID();
      const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
      const foreign = await new SignJWT({ createdAt: new Date().toISOString(), id: randomUUID() })
        .setProtectedHeader({ alg: "HS256" })
        .setAudience("nsip-api:analyses-cursor")
        .sign(new TextEncoder().encode(`${JWT_SECRET}-but-another-one`));
      const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`;
      for (const cursor of [tampered, foreign, unsigned, "garbage", "a.b.c"]) {
        await expectError(await fetch(`${listing.url}/api/analyses?cursor=${encodeURIComponent(cursor)}`), 400, "INVALID_CURSOR");
      }
    });

    it("answers 400 for a limit that is not an integer from 1 to 100", async () => {
      for (const limit of ["0", "101", "abc", "2.5", "-1"]) {
        await expectError(await fetch(`${listing.url}/api/analyses?limit=${limit}`), 400, "INVALID_QUERY");
      }
      await expectError(await fetch(`${listing.url}/api/analyses?limit=1&limit=2`), 400, "INVALID_QUERY");
      await expectError(await fetch(`${listing.url}/api/analyses?cursor=a&cursor=b`), 400, "INVALID_QUERY");
    });
  });

  describe("cross-cutting", () => {
    it("sets its own security headers (helmet) on every answer", async () => {
      for (const path of ["/health", "/api/analyses", "/nope"]) {
        const response = await fetch(`${api.url}${path}`);
        assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
        assert.equal(response.headers.get("content-security-policy"), "default-src 'none';frame-ancestors 'none'", path);
        assert.equal(response.headers.get("x-frame-options"), "SAMEORIGIN", path);
        assert.equal(response.headers.get("referrer-policy"), "no-referrer", path);
        assert.match(response.headers.get("strict-transport-security") ?? "", /max-age=\d+/, path);
        assert.equal(response.headers.get("x-powered-by"), null, path);
      }
    });

    it("answers unknown routes with a 404 JSON error", async () => {
      await expectError(await fetch(`${api.url}/nope`), 404, "NOT_FOUND");
      await expectError(await fetch(`${api.url}/api/analyses`, { method: "DELETE" }), 404, "NOT_FOUND");
    });

    it("sends CORS headers to configured origins only", async () => {
      const allowed = await fetch(`${api.url}/api/analyses`, { headers: { origin: "https://other.example.test" } });
      assert.equal(allowed.headers.get("access-control-allow-origin"), "https://other.example.test");
      const preflight = await fetch(`${api.url}/api/analyses`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example.test", "access-control-request-method": "POST" },
      });
      assert.equal(preflight.status, 204);
      assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
      const denied = await fetch(`${api.url}/api/analyses`, { headers: { origin: "https://evil.example.test" } });
      assert.equal(denied.headers.get("access-control-allow-origin"), null);
    });

    it("rate-limits uploads and listings per client with a 429 JSON error, never the probes", async () => {
      const limited = await startApi({ ...env, RATE_LIMIT_PER_MINUTE: "3" });
      try {
        for (let index = 0; index < 3; index++) assert.equal((await fetch(`${limited.url}/api/analyses`)).status, 200);
        const response = await fetch(`${limited.url}/api/analyses`);
        await expectError(response, 429, "RATE_LIMITED");
        assert.ok(response.headers.get("ratelimit-policy"));
        await expectError(await postImage(limited, form(PNG, "image/png")), 429, "RATE_LIMITED");
        // Reading one analysis is as cheap as the limiter itself and is not limited.
        await expectError(await fetch(`${limited.url}/api/analyses/${randomUUID()}`), 404, "NOT_FOUND");
        for (let index = 0; index < 5; index++) assert.equal((await fetch(`${limited.url}/health`)).status, 200);
      } finally {
        await limited.close();
      }
    });

    it("records request durations by method, route pattern and status", async () => {
      await fetch(`${api.url}/api/analyses/${randomUUID()}`);
      const text = await (await fetch(api.metricsUrl)).text();
      assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\/api\/analyses\/:id",status_code="404"\} [1-9]/);
      assert.match(text, /http_request_duration_seconds_count\{method="POST",route="\/api\/analyses",status_code="201"\} [1-9]/);
      assert.match(text, /http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} [1-9]/);
      assert.match(text, /nsip_api_db_pool_connections\{state="total"\} [1-9]/);
      assert.match(text, /nsip_api_db_pool_waiting_clients 0/);
    });
  });
});
