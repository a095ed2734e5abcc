/**
 * Loopback benchmark of the api (`npm run bench`): requests/s and p50/p99 latency of a cached
 * GET /api/analyses/:id and of POST /api/analyses with a 1-megapixel PNG, beside a bare Express
 * hello-world measured in the same run. Real PostgreSQL and Redis (tools/testenv); the real
 * analyzer under gunicorn when it can be started here, else a stand-in that says so.
 * Every run is bounded in time; everything listens on 127.0.0.1 and is stopped at the end.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePorts, startPostgres, startRedis } from "../../../tools/testenv/index.js";
import { makePng } from "../test/support/png.js";
import { API_DIR } from "../test/support/process.js";

const WARMUP_SECONDS = 2;
/** The GET scenarios alternate in rounds, so a burst of other load on the machine hits both alike. */
const GET_ROUNDS = 3;
const GET_ROUND_SECONDS = 5;
const POST_SECONDS = 10;
const GET_CONNECTIONS = 10;
const POST_CONNECTIONS = 4;
const ANALYZER_DIR = join(API_DIR, "..", "analyzer");
const PYTHON = "/usr/bin/python3";
const JWT_SECRET = "benchmark-secret-that-is-at-least-32-characters";

const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

function startChild(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; logs?: "ignore" }): ChildProcess {
  const stdio = options.logs ?? "pipe";
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", stdio, stdio] });
  children.push(child);
  return child;
}

/** The first stdout line that parses as JSON and has `key`. */
function firstJsonLine<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`no "${key}" line within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const line of output.split("\n").slice(0, -1)) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (key in entry) {
            clearTimeout(timer);
            child.stdout!.off("data", onData);
            child.stdout!.resume();
            resolve(entry as T);
            return;
          }
        } catch {
          // not JSON
        }
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing "${key}":\n${output}`)));
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(url).then((response) => response.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} not answering 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The real analyzer under gunicorn if this machine has it, else the stand-in. */
async function startAnalyzer(): Promise<{ url: string; description: string }> {
  const gunicorn = existsSync(join(ANALYZER_DIR, "gunicorn.conf.py")) && spawnSync(PYTHON, ["-m", "gunicorn", "--version"]).status === 0;
  if (gunicorn) {
    const [port, metricsPort] = await freePorts(2);
    const multiprocDir = mkdtempSync(join(tmpdir(), "nsip-bench-prom-"));
    cleanups.push(() => rmSync(multiprocDir, { recursive: true, force: true }));
    const workers = "2"; // one per core of this machine
    startChild(PYTHON, ["-m", "gunicorn", "--config", "gunicorn.conf.py"], {
      cwd: ANALYZER_DIR,
      env: { PORT: String(port), METRICS_PORT: String(metricsPort), BIND_HOST: "127.0.0.1", GUNICORN_WORKERS: workers, PROMETHEUS_MULTIPROC_DIR: multiprocDir },
      // Its access log must not go to a pipe nobody reads: a full pipe would stall the workers.
      logs: "ignore",
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, 20_000);
    return { url, description: `real analyzer (apps/analyzer under gunicorn, ${workers} workers)` };
  }
  const standin = startChild(process.execPath, ["--import", "tsx", "bench/analyzer-standin.ts"], { cwd: API_DIR });
  const { url } = await firstJsonLine<{ url: string }>(standin, "url");
  return { url, description: "STAND-IN analyzer (gunicorn or apps/analyzer not available here): POST figures exclude real analysis" };
}

interface Row {
  scenario: string;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

async function run(options: autocannon.Options, seconds: number): Promise<autocannon.Result> {
  return autocannon({ ...options, duration: seconds, timeout: 10 });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median req/s and p50 over the rounds; the worst p99 of any round. */
function summarise(scenario: string, connections: number, results: autocannon.Result[]): Row {
  return {
    scenario,
    connections,
    requests: results.reduce((sum, result) => sum + result.requests.total, 0),
    rps: median(results.map((result) => result.requests.average)),
    p50: median(results.map((result) => result.latency.p50)),
    p99: Math.max(...results.map((result) => result.latency.p99)),
    failures: results.reduce((sum, result) => sum + result.non2xx + result.errors + result.timeouts, 0),
  };
}

function multipart(png: Buffer): { body: Buffer; contentType: string } {
  const boundary = "----nsip-bench-boundary";
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="bench.png"\r\nContent-Type: image/png\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), png, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

function table(rows: Row[]): string {
  const header = ["scenario", "conns", "requests", "req/s", "p50 ms", "p99 ms", "failed"];
  const body = rows.map((row) => [row.scenario, String(row.connections), String(row.requests), row.rps.toFixed(0), row.p50.toFixed(1), row.p99.toFixed(1), String(row.failures)]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const format = (cells: string[]): string => `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(" | ")} |`;
  return [format(header), `|${widths.map((width, column) => (column === 0 ? "-" : "") + "-".repeat(width + 1) + (column === 0 ? "" : ":")).join("|")}|`, ...body.map(format)].join("\n");
}

async function main(): Promise<number> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  cleanups.push(() => postgres.stop(), () => redis.stop());
  const analyzer = await startAnalyzer();

  const env = {
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    LOG_LEVEL: "info", // as in production; the lines go to /dev/null
    PGHOST: postgres.host,
    PGPORT: String(postgres.port),
    PGUSER: postgres.user,
    PGPASSWORD: postgres.password,
    PGDATABASE: postgres.database,
    REDIS_HOST: redis.host,
    REDIS_PORT: String(redis.port),
    ANALYZER_URL: analyzer.url,
    JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: "100000000", // the limiter still runs on every request, it just never trips
  };
  const migrated = spawnSync(process.execPath, ["dist/migrate.js"], { cwd: API_DIR, env: { ...process.env, ...env } });
  if (migrated.status !== 0) throw new Error(`migrate failed: ${migrated.stderr.toString()}`);

  // The request log goes to /dev/null: reading it here would take CPU from the load generator.
  const [port, metricsPort] = await freePorts(2);
  startChild(process.execPath, ["dist/server.js"], { cwd: API_DIR, env: { ...env, PORT: String(port), METRICS_PORT: String(metricsPort) }, logs: "ignore" });
  const apiUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${apiUrl}/ready`, 10_000);
  const hello = startChild(process.execPath, ["bench/hello-world.mjs"], { cwd: API_DIR });
  const { port: helloPort } = await firstJsonLine<{ port: number }>(hello, "port");

  const png = makePng(1000, 1000, 0.5, 24); // grain makes it photo-sized rather than a few KiB
  const upload = multipart(png);
  const created = await fetch(`${apiUrl}/api/analyses`, { method: "POST", headers: { "content-type": upload.contentType }, body: upload.body });
  if (created.status !== 201) throw new Error(`seeding an analysis failed: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };

  const helloOptions = { url: `http://127.0.0.1:${helloPort}/`, connections: GET_CONNECTIONS };
  const getOptions = { url: `${apiUrl}/api/analyses/${id}`, connections: GET_CONNECTIONS };
  const postOptions: autocannon.Options = {
    url: `${apiUrl}/api/analyses`,
    connections: POST_CONNECTIONS,
    method: "POST",
    headers: { "content-type": upload.contentType },
    body: upload.body,
  };
  await run(helloOptions, WARMUP_SECONDS);
  await run(getOptions, WARMUP_SECONDS);
  const hitsBefore = await cacheHits(metricsPort);
  const helloRounds: autocannon.Result[] = [];
  const getRounds: autocannon.Result[] = [];
  for (let round = 0; round < GET_ROUNDS; round++) {
    helloRounds.push(await run(helloOptions, GET_ROUND_SECONDS));
    getRounds.push(await run(getOptions, GET_ROUND_SECONDS));
  }
  const hits = (await cacheHits(metricsPort)) - hitsBefore;
  await run(postOptions, WARMUP_SECONDS);
  const postResult = await run(postOptions, POST_SECONDS);
  const rows: Row[] = [
    summarise("bare Express hello-world GET /", GET_CONNECTIONS, helloRounds),
    summarise("api GET /api/analyses/:id (cached)", GET_CONNECTIONS, getRounds),
    summarise(`api POST /api/analyses (1000x1000 PNG, ${(png.length / 1024).toFixed(0)} KiB)`, POST_CONNECTIONS, [postResult]),
  ];

  const [helloRow, getRow] = [rows[0]!, rows[1]!];
  const ratio = getRow.rps / helloRow.rps;
  const targets = [
    { name: "cached GET >= 50% of hello-world req/s", actual: `${(ratio * 100).toFixed(0)}%`, ok: ratio >= 0.5 },
    { name: "cached GET p99 < 20 ms", actual: `${getRow.p99.toFixed(1)} ms`, ok: getRow.p99 < 20 },
    { name: "no failed requests", actual: String(rows.reduce((sum, row) => sum + row.failures, 0)), ok: rows.every((row) => row.failures === 0) },
  ];

  console.log(`NSIP api benchmark, ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores, loopback`);
  console.log(
    `GET scenarios: ${GET_ROUNDS} alternating rounds of ${GET_ROUND_SECONDS} s (median req/s and p50, worst p99); ` +
      `POST: ${POST_SECONDS} s; each after a ${WARMUP_SECONDS} s warm-up`,
  );
  console.log(`analyzer: ${analyzer.description}`);
  console.log("");
  console.log(table(rows));
  console.log("");
  console.log(`cache hits counted by nsip_api_cache_lookups_total during the cached GET rounds: ${hits} (requests sent: ${rows[1]!.requests})`);
  for (const target of targets) console.log(`${target.ok ? "PASS" : "FAIL"}  ${target.name}: ${target.actual}`);
  return targets.every((target) => target.ok) ? 0 : 1;
}

async function cacheHits(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split("\n").find((entry) => entry.startsWith('nsip_api_cache_lookups_total{result="hit"}'));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

async function stopAll(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined)));
  for (const cleanup of cleanups.reverse()) await cleanup();
}

main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(error);
    await stopAll();
    process.exit(2);
  },
);
