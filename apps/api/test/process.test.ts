import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { startAnalyzerStub, type AnalyzerStub } from "./support/analyzer-stub.js";
import { makePng } from "./support/png.js";
import { API_DIR, runScript, startServerProcess, type ServerProcess } from "./support/process.js";
import { apiEnv, freshDatabase, services, type Database } from "./support/services.js";

const PNG = makePng(32, 32);

function upload(url: string): Promise<Response> {
  const body = new FormData();
  body.append("image", new Blob([PNG], { type: "image/png" }), "burst.png");
  return fetch(`${url}/api/analyses`, { method: "POST", body });
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A GET on a new TCP connection (never a pooled keep-alive one): "HTTP <status>" or the error code. */
function freshConnectionGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (response) => {
      response.resume();
      resolve(`HTTP ${response.statusCode}`);
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

/** Metric family names from the `# TYPE` lines of a Prometheus text exposition. */
function families(exposition: string): string[] {
  return exposition
    .split("\n")
    .filter((line) => line.startsWith("# TYPE "))
    .map((line) => line.split(" ")[2]!)
    .sort();
}

describe("api process (node dist/server.js, as the image runs it)", () => {
  let db: Database;
  let analyzer: AnalyzerStub;
  let env: Record<string, string>;
  const running: ServerProcess[] = [];

  before(async () => {
    const { redis } = await services();
    [db, analyzer] = await Promise.all([freshDatabase({ migrated: true }), startAnalyzerStub()]);
    env = apiEnv(db, redis, analyzer.url);
  });

  beforeEach(() => {
    analyzer.behaviour = { kind: "ok" };
    analyzer.received.length = 0;
  });

  afterEach(() => {
    for (const server of running.splice(0)) server.child.kill("SIGKILL");
  });

  after(async () => {
    await analyzer?.close();
  });

  async function start(overrides: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServerProcess({ ...env, LOG_LEVEL: "info", ...overrides });
    running.push(server);
    return server;
  }

  describe("environment validation", () => {
    it("exits 1 before listening, naming every bad variable", async () => {
      const { JWT_SECRET: _secret, ...withoutSecret } = env;
      const result = await runScript("server.js", { ...withoutSecret, PORT: "eighty", PG_POOL_MAX: "0", ANALYZER_URL: "analyzer:5000" });
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /Invalid environment/);
      assert.match(result.output, /JWT_SECRET: is required/);
      assert.match(result.output, /PORT: must be an integer/);
      assert.match(result.output, /PG_POOL_MAX: must be a positive integer/);
      assert.match(result.output, /ANALYZER_URL: must be an http\(s\) URL/);
      assert.doesNotMatch(result.output, /PGHOST|REDIS_HOST/, "valid variables are not reported");
    });

    it("rejects a short JWT_SECRET without echoing it, and a pool minimum above the maximum", async () => {
      const result = await runScript("server.js", { ...env, JWT_SECRET: "tooshort", PG_POOL_MIN: "30" });
      assert.equal(result.code, 1);
      assert.match(result.output, /JWT_SECRET: must be at least 32 characters/);
      assert.match(result.output, /PG_POOL_MIN: must not exceed PG_POOL_MAX/);
      assert.doesNotMatch(result.output, /tooshort/);
    });

    it("the migrator exits 1 naming a missing PostgreSQL variable", async () => {
      const { PGHOST: _host, ...withoutHost } = env;
      const result = await runScript("migrate.js", withoutHost);
      assert.equal(result.code, 1);
      assert.match(result.output, /PGHOST: is required/);
    });
  });

  it("starts with its dependencies down: /health 200, /ready 503, API calls 503, no crash", async () => {
    const server = await start({ PGPORT: "1", REDIS_PORT: "1" });
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    assert.equal((await fetch(`${server.url}/ready`)).status, 503);
    const response = await fetch(`${server.url}/api/analyses`);
    assert.equal(response.status, 503);
    assert.deepEqual(((await response.json()) as { error: { code: string } }).error.code, "SERVICE_UNAVAILABLE");
    assert.equal(server.child.exitCode, null, "still running");
  });

  it("logs JSON lines with the request id", async () => {
    const server = await start();
    await fetch(`${server.url}/api/analyses?limit=5`, { headers: { "x-request-id": "trace-me-42" } });
    await waitFor(() => server.output().includes("trace-me-42"), 2000, "the request log line");
    const line = server
      .output()
      .split("\n")
      .find((entry) => entry.includes("trace-me-42"))!;
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.equal(entry.level, "info");
    assert.equal(entry.service, "nsip-api");
    assert.equal(entry.msg, "request completed");
    assert.equal(entry.reqId, "trace-me-42");
    assert.deepEqual(entry.req, { method: "GET", url: "/api/analyses?limit=5", remoteAddress: "127.0.0.1" });
    assert.deepEqual(entry.res, { statusCode: 200 });
    assert.equal(typeof entry.responseTime, "number");
    assert.ok(!Number.isNaN(Date.parse(String(entry.time))));
  });

  it("exports on /metrics exactly the families listed in exported-metrics.txt", async () => {
    const server = await start();
    assert.equal((await upload(server.url)).status, 201);
    await fetch(`${server.url}/api/analyses`);
    const exposition = await (await fetch(server.metricsUrl)).text();
    const listed = readFileSync(join(API_DIR, "exported-metrics.txt"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
      .sort();
    assert.deepEqual(families(exposition), listed);
    assert.match(exposition, /nsip_api_analyses_created_total 1/);
    assert.equal((await fetch(server.metricsUrl.replace("/metrics", "/other"))).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404, "metrics are not served on the public port");
  });

  describe("graceful shutdown on SIGTERM", () => {
    it("finishes every request accepted before the signal, refuses new ones, exits 0 in time", async () => {
      const BURST = 30;
      const server = await start({ SHUTDOWN_TIMEOUT_MS: "8000", ANALYZER_TIMEOUT_MS: "20000", MAX_CONCURRENT_UPLOADS: String(BURST) });
      // An idle keep-alive connection must not hold the shutdown up.
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
      // The analyzer answers nothing until the shutdown has begun, so every request of the burst is
      // in flight across the signal however busy the machine is.
      let releaseAnalyzer!: () => void;
      analyzer.behaviour = { kind: "ok", until: new Promise<void>((resolve) => (releaseAnalyzer = resolve)) };

      const burst = Array.from({ length: BURST }, () =>
        upload(server.url).then(
          async (response) => ({ status: response.status, connection: response.headers.get("connection"), body: await response.text() }),
          (error: unknown) => ({ status: 0, connection: null, body: String(error) }),
        ),
      );
      // Every request of the burst has reached the analyzer: the api has accepted all of them.
      await waitFor(() => analyzer.received.length === BURST, 20_000, "the whole burst to be in flight");
      server.child.kill("SIGTERM");

      await waitFor(() => server.output().includes("shutting down"), 10_000, "the shutdown to begin");
      const lateRequest = await freshConnectionGet(`${server.url}/health`);
      const releasedAt = Date.now();
      releaseAnalyzer();

      const results = await Promise.all(burst);
      const failed = results.filter((result) => result.status !== 201);
      assert.deepEqual(failed, [], `requests accepted before SIGTERM failed:\n${server.output()}`);
      assert.ok(
        results.every((result) => result.connection === "close"),
        `responses finished during the drain tell the client to close the connection: ${JSON.stringify(results.map((result) => result.connection))}`,
      );
      assert.equal(lateRequest, "ECONNREFUSED", "no new connections once shutting down");

      const exit = await server.exited;
      // Exit 0 means the drain finished before SHUTDOWN_TIMEOUT_MS; after the release means it waited for the burst.
      assert.equal(exit.code, 0, server.output());
      assert.ok(exit.at >= releasedAt, "exited before the analyzer had answered the burst");
      assert.match(server.output(), /"msg":"shutdown complete"/);
    });

    it("cuts requests still running at SHUTDOWN_TIMEOUT_MS and exits non-zero before it", async () => {
      const server = await start({ SHUTDOWN_TIMEOUT_MS: "1500", ANALYZER_TIMEOUT_MS: "20000" });
      analyzer.behaviour = { kind: "hang" };
      const stuck = upload(server.url).then(
        (response) => `HTTP ${response.status}`,
        () => "connection closed",
      );
      await waitFor(() => analyzer.received.length === 1, 5000, "the request to reach the analyzer");
      const signalledAt = Date.now();
      server.child.kill("SIGTERM");
      const exit = await server.exited;
      assert.equal(exit.code, 1);
      const complete = server
        .output()
        .split("\n")
        .map((line) => (line.includes('"shutdown complete"') ? (JSON.parse(line) as { durationMs: number; cutShort: boolean }) : undefined))
        .find((entry) => entry !== undefined);
      assert.ok(complete, server.output());
      assert.equal(complete.cutShort, true);
      assert.ok(complete.durationMs >= 1000 && complete.durationMs < 1500, `shut down in ${complete.durationMs} ms`);
      assert.ok(exit.at - signalledAt < 10_000, "and the process is gone");
      assert.equal(await stuck, "connection closed");
      assert.match(server.output(), /drain deadline reached/);
    });
  });
});
