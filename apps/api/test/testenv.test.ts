import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createConnection } from "node:net";
import pg from "pg";
import { createClient } from "redis";
import { startPostgres, startRedis } from "../../../tools/testenv/index.js";
import { API_DIR } from "./support/process.js";

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Runs a script that starts both servers, prints their ports, then ends as `ending` says. */
function childThatStartsServers(ending: "exit" | "wait"): Promise<{ ports: { postgres: number; redis: number }; done: Promise<unknown>; kill(): void }> {
  const script = `
    const imported = await import(${JSON.stringify(new URL("../../../tools/testenv/index.ts", import.meta.url).href)});
    // From --eval the CommonJS module arrives as a default export only.
    const { startPostgres, startRedis } = imported.startPostgres ? imported : imported.default;
    const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    console.log(JSON.stringify({ postgres: postgres.port, redis: redis.port }));
    ${ending === "exit" ? "process.exit(0);" : "setInterval(() => {}, 1000);"}
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: API_DIR, stdio: ["ignore", "pipe", "inherit"] });
  const done = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("\n")) resolve({ ports: JSON.parse(output) as { postgres: number; redis: number }, done, kill: () => child.kill("SIGTERM") });
    });
    void done.then(() => reject(new Error(`child exited before starting servers: ${output}`)));
  });
}

describe("tools/testenv", () => {
  it("starts PostgreSQL with the returned credentials and stops it on stop()", async () => {
    const postgres = await startPostgres();
    const client = new pg.Client(postgres);
    await client.connect();
    const { rows } = await client.query<{ user: string; db: string }>("SELECT current_user AS user, current_database() AS db");
    await client.end();
    assert.deepEqual(rows[0], { user: postgres.user, db: postgres.database });
    await assert.rejects(new pg.Client({ ...postgres, password: "wrong" }).connect(), /password authentication failed/);
    await postgres.stop();
    await postgres.stop(); // idempotent
    assert.equal(await portOpen(postgres.port), false);
  });

  it("starts Redis with an optional password and stops it on stop()", async () => {
    const redis = await startRedis({ password: "s3cret-pw" });
    assert.equal(redis.password, "s3cret-pw");
    const anonymous = createClient({ socket: { host: redis.host, port: redis.port, reconnectStrategy: false } });
    anonymous.on("error", () => undefined);
    await assert.rejects(anonymous.connect().then(() => anonymous.ping()), /NOAUTH|Authentication required/);
    await anonymous.close().catch(() => undefined);
    const client = createClient({ socket: { host: redis.host, port: redis.port }, password: redis.password });
    await client.connect();
    assert.equal(await client.ping(), "PONG");
    await client.close();
    await redis.stop();
    assert.equal(await portOpen(redis.port), false);
  });

  it("stops servers left running when the process exits", async () => {
    const child = await childThatStartsServers("exit");
    await child.done;
    assert.equal(await portOpen(child.ports.postgres), false, "PostgreSQL stopped");
    assert.equal(await portOpen(child.ports.redis), false, "Redis stopped");
  });

  it("stops servers left running when the process gets SIGTERM", async () => {
    const child = await childThatStartsServers("wait");
    assert.equal(await portOpen(child.ports.postgres), true);
    child.kill();
    await child.done;
    assert.equal(await portOpen(child.ports.postgres), false, "PostgreSQL stopped");
    assert.equal(await portOpen(child.ports.redis), false, "Redis stopped");
  });
});
