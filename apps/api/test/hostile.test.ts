import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { profileDefaults } from "../../../stacks/profiles.js";
import { freePorts } from "../../../tools/testenv/index.js";
import { makePng } from "./support/png.js";
import { rawExchange, type RawChunk } from "./support/raw-connection.js";
import { API_DIR, startServerProcess, type ServerProcess } from "./support/process.js";
import { apiEnv, freshDatabase, services, type Database } from "./support/services.js";

/**
 * Hostile input against the real processes, as the dev profile sizes them: the built api
 * (`node dist/server.js`) with real PostgreSQL and Redis, and the analyzer under gunicorn with the
 * profile's worker count, all on loopback. The corpus is generated (apps/analyzer/corpus.py):
 * decompression bombs of every accepted format, scan and frame bombs, truncated and corrupt files,
 * the costliest accepted image of each kind, oversize, slow and stalled bodies, and a burst of
 * near-limit uploads. Every answer must be a 4xx or a 503 with Retry-After; at the end no worker
 * was killed, every process's peak RSS (VmHWM) is under its pod's limit, both /health probes
 * answered 200 throughout, and only accepted images reached the database.
 */
const ANALYZER_DIR = join(API_DIR, "..", "analyzer");
const PYTHON = "/usr/bin/python3";
const PROFILE = profileDefaults("dev");
const MAX_UPLOAD_BYTES = PROFILE.api.maxUploadBytes;
const MiB = 2 ** 20;
const CONTENT_TYPES: Record<string, string> = { png: "image/png", jpg: "image/jpeg", gif: "image/gif", webp: "image/webp" };

function limitBytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] === "Gi" ? 2 ** 30 : MiB);
}

function statusBytes(pid: number, field: "VmHWM" | "VmRSS"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((entry) => entry.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN) * 1024;
}

function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === parent) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}

function form(bytes: Uint8Array, type: string, filename: string): FormData {
  const body = new FormData();
  body.append("image", new Blob([bytes], { type }), filename);
  return body;
}

/** GET on a new connection: the status, or the error. */
function probe(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 30_000 }, (response) => {
      response.resume();
      resolve(String(response.statusCode));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
    req.on("error", (error) => resolve(error.message));
    req.end();
  });
}

interface Answer {
  case: string;
  status: number;
  code?: string;
  retryAfter: string | null;
}

/** Sends raw bytes on a new connection; resolves with what came back once the server closed it. */
function raw(port: number, chunks: RawChunk[], timeoutMs = 30_000): Promise<string> {
  return rawExchange(port, chunks, timeoutMs);
}

describe("hostile input against the real api and analyzer (dev profile sizes, loopback)", function () {
  this.timeout(240_000);
  let db: Database;
  let sql: pg.Client;
  let corpusDir: string;
  let metricsDir: string;
  let logFile: string;
  let gunicorn: ChildProcess;
  let analyzerUrl: string;
  let api: ServerProcess;
  let apiPort: number;
  let workersAtStart: number[];
  const answers: Answer[] = [];
  const probeFailures: string[] = [];
  let probing = true;
  let prober: Promise<void>;

  async function post(name: string, bytes: Uint8Array, type: string): Promise<Answer> {
    const response = await fetch(`${api.url}/api/analyses`, { method: "POST", body: form(bytes, type, name) });
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
    const answer = { case: name, status: response.status, code: body.error?.code, retryAfter: response.headers.get("retry-after") };
    answers.push(answer);
    return answer;
  }

  function corpus(prefix: "accepted" | "rejected"): Array<{ name: string; bytes: Buffer; type: string }> {
    return readdirSync(corpusDir)
      .filter((file) => file.startsWith(`${prefix}-`))
      .sort()
      .map((file) => ({ name: file, bytes: readFileSync(join(corpusDir, file)), type: CONTENT_TYPES[file.split(".").pop()!]! }));
  }

  before(async () => {
    const tmp = mkdtempSync(join(tmpdir(), "nsip-hostile-"));
    [corpusDir, metricsDir, logFile] = [join(tmp, "corpus"), join(tmp, "metrics"), join(tmp, "gunicorn.log")];
    const generated = spawnSync(PYTHON, ["corpus.py", corpusDir], { cwd: ANALYZER_DIR, encoding: "utf8", timeout: 180_000 });
    assert.equal(generated.status, 0, `corpus.py failed: ${generated.stderr}`);

    const [port, metricsPort] = await freePorts(2);
    const log = openSync(logFile, "a");
    gunicorn = spawn(PYTHON, ["-m", "gunicorn", "--config", "gunicorn.conf.py"], {
      cwd: ANALYZER_DIR,
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        BIND_HOST: "127.0.0.1",
        GUNICORN_WORKERS: String(PROFILE.services.analyzer.workers),
        MAX_IMAGE_BYTES: String(MAX_UPLOAD_BYTES),
        PROMETHEUS_MULTIPROC_DIR: metricsDir,
      },
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    analyzerUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${analyzerUrl}/health`).then((response) => response.ok, () => false);
      if (ok && childrenOf(gunicorn.pid!).length === PROFILE.services.analyzer.workers) break;
      if (Date.now() > deadline || gunicorn.exitCode !== null) throw new Error(`gunicorn did not start:\n${readFileSync(logFile, "utf8")}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    workersAtStart = childrenOf(gunicorn.pid!);

    const { redis } = await services();
    db = await freshDatabase({ migrated: true });
    sql = new pg.Client(db);
    await sql.connect();
    api = await startServerProcess(
      apiEnv(db, redis, analyzerUrl, {
        LOG_LEVEL: "info", // startServerProcess waits for the "api listening" line
        MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
        MAX_CONCURRENT_UPLOADS: String(PROFILE.api.maxConcurrentUploads),
        ANALYZER_TIMEOUT_MS: "10000",
        BODY_IDLE_TIMEOUT_MS: "5000",
        // Short enough to keep the slow cases short, long enough for 30 uploads of 10 MiB on a busy machine.
        REQUEST_TIMEOUT_MS: "30000",
        HEADERS_TIMEOUT_MS: "10000",
      }),
    );
    apiPort = Number(new URL(api.url).port);

    // Both probes, one after the other, all the time, each on a new connection as kubelet's are.
    prober = (async () => {
      while (probing) {
        for (const url of [`${api.url}/health`, `${analyzerUrl}/health`]) {
          const status = await probe(url);
          if (status !== "200") probeFailures.push(`${url}: ${status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
  });

  after(async () => {
    probing = false;
    await prober;
    api?.child.kill("SIGKILL");
    gunicorn?.kill("SIGTERM");
    await sql?.end();
    if (corpusDir) rmSync(join(corpusDir, ".."), { recursive: true, force: true });
  });

  it("refuses every bomb, scan bomb, frame bomb, truncated and corrupt file with a 4xx", async () => {
    const refused = [];
    for (const { name, bytes, type } of corpus("rejected")) refused.push(await post(name, bytes, type));
    const wrong = refused.filter((answer) => answer.status < 400 || answer.status >= 500);
    assert.deepEqual(wrong, [], "every hostile file gets a 4xx");
    assert.ok(refused.length >= 13);
  });

  it("answers the costliest accepted image of each kind, every worker busy at once, with 201 or a 503 with Retry-After", async () => {
    const accepted = corpus("accepted");
    const workers = PROFILE.services.analyzer.workers;
    for (let start = 0; start < accepted.length; start += workers) {
      const batch = accepted.slice(start, start + workers);
      const results = await Promise.all(batch.map(({ name, bytes, type }) => post(name, bytes, type)));
      for (const result of results) {
        assert.ok(result.status === 201 || (result.status === 503 && result.retryAfter !== null), `${result.case}: ${JSON.stringify(result)}`);
      }
    }
  });

  it("refuses bodies over MAX_UPLOAD_BYTES, declared or chunked, with 413", async () => {
    const oversized = Buffer.concat([makePng(8, 8), Buffer.alloc(MAX_UPLOAD_BYTES)]);
    assert.equal((await post("oversized.png", oversized, "image/png")).status, 413);
    const head = "--B\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n";
    const megabyte = Buffer.alloc(MiB, 0x41);
    const chunks: Array<string | Buffer> = [
      "POST /api/analyses HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n",
      `${head.length.toString(16)}\r\n${head}\r\n`,
    ];
    for (let i = 0; i < MAX_UPLOAD_BYTES / MiB + 2; i += 1) chunks.push(`${megabyte.length.toString(16)}\r\n`, megabyte, "\r\n");
    // multer reads (and discards) the rest of a body over the limit before answering, so the
    // client meets an answer rather than a closed connection; an endless body is cut by the timeouts.
    chunks.push("0\r\n\r\n");
    const answer = await raw(apiPort, chunks);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    answers.push({ case: "chunked oversize", status: 413, retryAfter: null });
  });

  it("cuts stalled and trickling bodies and slow headers with 408", async () => {
    const head = `POST /api/analyses HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n--B\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG`;
    const stalled = raw(apiPort, [head], 90_000);
    const trickle: RawChunk[] = [head];
    for (let i = 0; i < 100; i += 1) trickle.push({ pauseMs: 500 }, "x");
    const trickling = raw(apiPort, trickle, 90_000);
    const slowHeaders: RawChunk[] = ["GET /api/analyses HTTP/1.1\r\n"];
    for (let i = 0; i < 100; i += 1) slowHeaders.push({ pauseMs: 500 }, `X-Slow-${i}: y\r\n`);
    const slow = raw(apiPort, slowHeaders, 90_000);
    const results = await Promise.all([stalled, trickling, slow]);
    for (const result of results) assert.match(result, /^HTTP\/1\.1 408 /);
    answers.push(...results.map((_, i) => ({ case: `slow ${i}`, status: 408, retryAfter: null })));
  });

  it("answers a burst of near-limit uploads with a 4xx or 503 + Retry-After, holding only MAX_CONCURRENT_UPLOADS", async () => {
    // PNG magic, then incompressible bytes: the api holds the whole body, the analyzer reads it and refuses it.
    const nearLimit = Buffer.concat([makePng(8, 8).subarray(0, 16), Buffer.alloc(MAX_UPLOAD_BYTES - 1024 - 16, 0xa5)]);
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => post(`near-limit-${i}.png`, nearLimit, "image/png")));
    // 422 from the analyzer; 408 when this busy test process could not feed a body in time.
    const wrong = burst.filter((answer) => !((answer.status >= 400 && answer.status < 500) || (answer.status === 503 && answer.retryAfter !== null)));
    assert.deepEqual(wrong, []);
    assert.ok(burst.some((answer) => answer.status === 422), "some uploads got through to the analyzer");
  });

  it("afterwards: no worker killed, every peak RSS under its pod limit, probes always 200, only accepted images stored", async () => {
    assert.equal(api.child.exitCode, null, "the api is still running");
    assert.equal(gunicorn.exitCode, null, "gunicorn is still running");
    assert.deepEqual(childrenOf(gunicorn.pid!), workersAtStart, "the same gunicorn workers: none was killed and replaced");
    const gunicornLog = readFileSync(logFile, "utf8");
    assert.doesNotMatch(gunicornLog, /WORKER TIMEOUT|was sent SIGKILL|Worker \(pid:\d+\) exited|Traceback/);

    const apiLimit = limitBytes(PROFILE.services.api.resources.limits.memory);
    const apiPeak = statusBytes(api.child.pid!, "VmHWM");
    assert.ok(apiPeak < apiLimit, `api peak ${(apiPeak / MiB).toFixed(0)} MiB >= limit ${PROFILE.services.api.resources.limits.memory}`);
    const analyzerLimit = limitBytes(PROFILE.services.analyzer.resources.limits.memory);
    // Peaks of different processes need not coincide: their sum is an upper bound of the pod's.
    const analyzerPeaks = [gunicorn.pid!, ...workersAtStart].map((pid) => statusBytes(pid, "VmHWM"));
    const analyzerPeak = analyzerPeaks.reduce((sum, value) => sum + value, 0);
    assert.ok(
      analyzerPeak < analyzerLimit,
      `analyzer peaks ${analyzerPeaks.map((value) => (value / MiB).toFixed(0)).join(" + ")} MiB >= limit ${PROFILE.services.analyzer.resources.limits.memory}`,
    );
    console.log(
      `      peak RSS: api ${(apiPeak / MiB).toFixed(0)} MiB (limit ${PROFILE.services.api.resources.limits.memory}); ` +
        `analyzer ${analyzerPeaks.map((value) => (value / MiB).toFixed(0)).join(" + ")} MiB (limit ${PROFILE.services.analyzer.resources.limits.memory})`,
    );

    probing = false;
    await prober;
    assert.deepEqual(probeFailures, [], "/health answered 200 throughout");
    assert.ok(answers.every((answer) => answer.status < 500 || (answer.status === 503 && answer.retryAfter !== null)), JSON.stringify(answers.filter((a) => a.status >= 500)));
    const stored = Number((await sql.query<{ count: string }>("SELECT count(*) FROM analyses")).rows[0]?.count);
    const accepted = answers.filter((answer) => answer.status === 201);
    assert.ok(accepted.every((answer) => answer.case.startsWith("accepted-")), "only the accepted corpus is ever stored");
    assert.equal(stored, accepted.length);
  });
});
