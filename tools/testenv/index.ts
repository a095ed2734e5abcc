/**
 * Real PostgreSQL and Redis for tests, started from Debian's packages on free loopback ports.
 * Node builtins only, so any package in the repo can import it.
 *
 *   startPostgres(): Promise<{ host, port, user, password, database, stop() }>
 *     initdb into a fresh temp dir (scram-sha-256 auth, fsync off), pg_ctl start on 127.0.0.1,
 *     then creates `database` owned by `user`. As root, every PostgreSQL binary runs as the
 *     `postgres` user through `runuser` (PostgreSQL refuses to run as root).
 *   startRedis(opts?: { password? }): Promise<{ host, port, password, stop() }>
 *     redis-server in the foreground with no persistence, `requirepass` when a password is given.
 *
 * stop() stops the server and removes its temp dir; it is idempotent. Servers still running when
 * the process exits (normally or on SIGINT/SIGTERM) are stopped and their dirs removed then.
 */
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresInstance {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
}

export interface RedisInstance {
  host: string;
  port: number;
  password: string | undefined;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const PG_BIN = "/usr/lib/postgresql/15/bin";
const REDIS_SERVER = "redis-server";
const START_ATTEMPTS = 5;

/** Synchronous cleanups of servers that are still running, run on process exit. */
const pendingCleanups = new Set<() => void>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", runPendingCleanups);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      runPendingCleanups();
      // Re-raise so the default action (exit) happens unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function runPendingCleanups(): void {
  for (const cleanup of [...pendingCleanups]) {
    try {
      cleanup();
    } catch {
      // best effort: the process is going away
    }
  }
  pendingCleanups.clear();
}

/**
 * Several distinct free loopback ports: every listener stays open until all are bound, so the OS cannot
 * hand the same port out twice (separate freePort() calls can, which put two servers on one port).
 */
export async function freePorts<N extends number>(count: N): Promise<Tuple<N, number>> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const server = createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, HOST, () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === "object" && address !== null ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports as Tuple<N, number>;
}

/** `count` items of T as a tuple, so destructuring a literal count needs no undefined checks. */
type Tuple<N extends number, T, Items extends T[] = []> = Items["length"] extends N ? Items : Tuple<N, T, [...Items, T]>;

/** Asks the OS for a free loopback port. Another process may take it before we bind: callers retry. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface PostgresUser {
  uid: number;
  gid: number;
}

/** The `postgres` account from /etc/passwd when we are root (PostgreSQL refuses to run as root). */
function postgresAccount(): PostgresUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("postgres:"));
  if (!line) throw new Error("running as root but there is no `postgres` user to run PostgreSQL as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

export async function startPostgres(): Promise<PostgresInstance> {
  installExitHooks();
  const account = postgresAccount();
  const asPostgres = (binary: string, args: string[]): [string, string[]] =>
    account ? ["runuser", ["-u", "postgres", "--", join(PG_BIN, binary), ...args]] : [join(PG_BIN, binary), args];

  const dir = mkdtempSync(join(tmpdir(), "nsip-pg-"));
  const dataDir = join(dir, "data");
  const passwordFile = join(dir, "password");
  const user = "nsip";
  const password = randomBytes(12).toString("hex");
  const database = "nsip";
  writeFileSync(passwordFile, password, { mode: 0o600 });
  if (account) {
    chownSync(dir, account.uid, account.gid);
    chownSync(passwordFile, account.uid, account.gid);
  }

  const stopServerSync = (): void => {
    try {
      execFileSync(...asPostgres("pg_ctl", ["stop", "-D", dataDir, "-m", "immediate", "-s"]), { stdio: "ignore" });
    } catch {
      // not running
    }
  };
  const cleanupSync = (): void => {
    stopServerSync();
    rmSync(dir, { recursive: true, force: true });
  };
  pendingCleanups.add(cleanupSync);

  try {
    await run(
      ...asPostgres("initdb", [
        "-D", dataDir, "-U", user, `--pwfile=${passwordFile}`, "--auth=scram-sha-256",
        "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
      ]),
    );
    const port = await startPostgresOnFreePort(dir, dataDir, asPostgres);
    await run(join(PG_BIN, "createdb"), ["-h", HOST, "-p", String(port), "-U", user, database], {
      PGPASSWORD: password,
    });

    let stopped = false;
    return {
      host: HOST,
      port,
      user,
      password,
      database,
      async stop() {
        if (stopped) return;
        stopped = true;
        pendingCleanups.delete(cleanupSync);
        await run(...asPostgres("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-s"])).catch(stopServerSync);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    pendingCleanups.delete(cleanupSync);
    cleanupSync();
    throw error;
  }
}

async function startPostgresOnFreePort(
  dir: string,
  dataDir: string,
  asPostgres: (binary: string, args: string[]) => [string, string[]],
): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const serverOptions = [
      `-c listen_addresses=${HOST}`, `-p ${port}`, `-k ${dir}`,
      "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200",
    ].join(" ");
    try {
      await run(...asPostgres("pg_ctl", ["start", "-D", dataDir, "-w", "-t", "30", "-s", "-l", join(dir, "postgres.log"), "-o", serverOptions]));
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  const log = readLogTail(join(dir, "postgres.log"));
  throw new Error(`PostgreSQL did not start after ${START_ATTEMPTS} attempts: ${String(lastError)}\n${log}`);
}

function readLogTail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "";
  }
}

export async function startRedis(opts: { password?: string } = {}): Promise<RedisInstance> {
  installExitHooks();
  const dir = mkdtempSync(join(tmpdir(), "nsip-redis-"));
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const args = [
      "--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no",
      "--dir", dir, "--daemonize", "no", "--logfile", "",
    ];
    if (opts.password !== undefined) args.push("--requirepass", opts.password);
    const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));

    const killSync = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    };
    pendingCleanups.add(killSync);
    try {
      await waitForRedis(port, child);
    } catch (error) {
      pendingCleanups.delete(killSync);
      child.kill("SIGKILL");
      lastError = new Error(`${String(error)}\n${output}`);
      continue;
    }

    let stopped = false;
    return {
      host: HOST,
      port,
      password: opts.password,
      async stop() {
        if (stopped) return;
        stopped = true;
        pendingCleanups.delete(killSync);
        await terminate(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start after ${START_ATTEMPTS} attempts: ${String(lastError)}`);
}

/** Resolves once redis-server answers PING (or asks for AUTH); rejects if it exits first. */
async function waitForRedis(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited with ${child.exitCode ?? child.signalCode}`);
    }
    const reply = await pingRedis(port).catch(() => "");
    if (reply.startsWith("+PONG") || reply.startsWith("-NOAUTH")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("redis-server did not answer PING within 15 s");
}

function pingRedis(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    socket.setTimeout(1000, () => socket.destroy(new Error("timeout")));
    socket.once("error", reject);
    socket.once("connect", () => socket.write("*1\r\n$4\r\nPING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString());
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const forceKill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(forceKill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
