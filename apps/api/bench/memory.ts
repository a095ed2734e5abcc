/**
 * Memory per upload (`npm run bench:memory [-- --write memory-peaks.json]`): the built api
 * (`node dist/server.js`, as the image runs it) with real PostgreSQL and Redis and a stand-in
 * analyzer that holds every call for a while, so that CONCURRENT uploads of MAX_UPLOAD_BYTES
 * are all in memory at once. Prints the api's RSS when warm and idle, its peak (VmHWM) with the
 * uploads in flight, and the difference per upload; `--write` stores the figures that the
 * profile test (test/resource-budget.test.ts) holds the api pod's memory limit to.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { startPostgres, startRedis } from "../../../tools/testenv/index.js";
import { startAnalyzerStub } from "../test/support/analyzer-stub.js";
import { makePng } from "../test/support/png.js";
import { startServerProcess } from "../test/support/process.js";
import { apiEnv, type Database } from "../test/support/services.js";
import { migrate, MIGRATIONS_DIR, readMigrations } from "../src/migrate.js";
import pg from "pg";

const CONCURRENT = 8;
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const HOLD_MS = 3_000;

function statusMiB(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((entry) => entry.startsWith(`${field}:`));
  if (!line) throw new Error(`no ${field} for ${pid}`);
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** The largest accepted upload: PNG magic, then incompressible bytes up to the limit. */
function largestUpload(): FormData {
  const png = makePng(8, 8);
  const bytes = Buffer.concat([png.subarray(0, 16), randomBytes(MAX_UPLOAD_BYTES - 16)]);
  const body = new FormData();
  body.append("image", new Blob([bytes], { type: "image/png" }), "largest.png");
  return body;
}

async function main(): Promise<void> {
  const write = process.argv.includes("--write") ? process.argv[process.argv.indexOf("--write") + 1] : undefined;
  const [postgres, redis, analyzer] = await Promise.all([startPostgres(), startRedis(), startAnalyzerStub()]);
  const db: Database = { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: postgres.database };
  const client = new pg.Client(db);
  await client.connect();
  await migrate(client, await readMigrations(MIGRATIONS_DIR), () => undefined);
  await client.end();
  const api = await startServerProcess(
    apiEnv(db, redis, analyzer.url, {
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      MAX_CONCURRENT_UPLOADS: String(CONCURRENT),
      UPLOAD_QUEUE_TIMEOUT_MS: "60000",
      ANALYZER_TIMEOUT_MS: "30000",
      LOG_LEVEL: "info",
    }),
  );
  const pid = api.child.pid!;
  try {
    // Warm: every code path of an upload has run, the heap has grown to its working size.
    analyzer.behaviour = { kind: "ok" };
    for (let round = 0; round < 3; round += 1) {
      const responses = await Promise.all(Array.from({ length: 2 }, () => fetch(`${api.url}/api/analyses`, { method: "POST", body: largestUpload() })));
      if (responses.some((response) => response.status !== 201)) throw new Error("warm-up upload failed");
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idle = statusMiB(pid, "VmRSS");
    const warmPeak = statusMiB(pid, "VmHWM");

    analyzer.behaviour = { kind: "ok", delayMs: HOLD_MS };
    const statuses = await Promise.all(
      Array.from({ length: CONCURRENT }, () => fetch(`${api.url}/api/analyses`, { method: "POST", body: largestUpload() }).then((response) => response.status)),
    );
    if (statuses.some((status) => status !== 201)) throw new Error(`uploads failed: ${statuses.join(", ")}`);
    const peak = statusMiB(pid, "VmHWM");
    const perUpload = (peak - idle) / CONCURRENT;
    const round1 = (value: number): number => Math.round(value * 10) / 10;

    console.log(`api memory: ${CONCURRENT} concurrent uploads of ${MAX_UPLOAD_BYTES} bytes, node ${process.version}`);
    console.log(`  idle (warm) RSS  ${idle.toFixed(1)} MiB   (peak during warm-up ${warmPeak.toFixed(1)} MiB)`);
    console.log(`  peak RSS         ${peak.toFixed(1)} MiB with all ${CONCURRENT} in flight`);
    console.log(`  per upload       ${perUpload.toFixed(1)} MiB (${(perUpload / (MAX_UPLOAD_BYTES / 1024 / 1024)).toFixed(2)} x its size)`);
    if (write) {
      const figures = {
        generatedBy: "apps/api: npm run bench:memory -- --write memory-peaks.json",
        node: process.version,
        maxUploadBytes: MAX_UPLOAD_BYTES,
        concurrentUploads: CONCURRENT,
        idleMiB: round1(idle),
        peakMiB: round1(peak),
        perUploadMiB: round1(perUpload),
      };
      writeFileSync(write, `${JSON.stringify(figures, null, 2)}\n`);
      console.log(`wrote ${write}`);
    }
  } finally {
    api.child.kill("SIGKILL");
    await Promise.all([analyzer.close(), postgres.stop(), redis.stop()]);
  }
}

await main();
