import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";

export { freePort, freePorts } from "../../../tools/testenv";

export interface Service {
  name: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Signals the process (and waits up to `graceMs` before SIGKILL); resolves once it has exited. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Last resort if the run dies before its after-hook: leave no server behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where stdout/stderr go: a file, because nginx cannot open /dev/stdout when it is a socket (node's pipes). */
  logDir: string;
  stopSignal?: NodeJS.Signals;
  graceMs?: number;
  /** Drop to this user in spawn itself, so the process stays our direct child and gets our signals. */
  uid?: number;
  gid?: number;
}

export function startService(options: StartOptions): Service & { child: ChildProcess } {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const fd = openSync(logFile, "a", 0o666);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", fd, fd],
    uid: options.uid,
    gid: options.gid,
  });
  closeSync(fd);
  running.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
    child.once("error", () => {
      running.delete(child);
      resolve();
    });
  });
  const output = () => readFileSync(logFile, "utf8");
  return {
    name: options.name,
    child,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill(options.stopSignal ?? "SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), options.graceMs ?? 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion, failing with its output when it exits non-zero. */
export async function run(options: Omit<StartOptions, "stopSignal" | "graceMs" | "uid" | "gid">): Promise<void> {
  const service = startService(options);
  const code = await new Promise<number | null>((resolve) => {
    if (service.child.exitCode !== null) resolve(service.child.exitCode);
    service.child.once("exit", (exitCode) => resolve(exitCode));
    service.child.once("error", () => resolve(-1));
  });
  if (code !== 0) throw new Error(`${options.name} (${options.command} ${options.args.join(" ")}) exited with ${code}:\n${service.output()}`);
}

/** Polls `url` until it answers 200, failing early if the service exits. */
export async function waitForHttpOk(url: string, service: Service & { child: ChildProcess }, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${service.name} exited (${service.child.exitCode ?? service.child.signalCode}) before ${url} answered:\n${service.output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.name}: ${url} did not answer 200 within ${timeoutMs} ms (${lastError}):\n${service.output()}`);
}
