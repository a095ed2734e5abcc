import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const API_DIR = fileURLToPath(new URL("../../", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  metricsUrl: string;
  /** Everything the process wrote, for assertions and for failure messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs `node dist/<script>` (the built artefact, as in the image) to completion. */
export function runScript(script: string, env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`dist/${script}`], { cwd: API_DIR, env: { PATH: process.env.PATH, ...env } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

/** Starts `node dist/server.js` and resolves once it logs (at info) the ports it listens on. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["dist/server.js"], { cwd: API_DIR, env: { PATH: process.env.PATH, ...env } });
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const listening = output
        .split("\n")
        .slice(0, -1) // the last piece may be a partial line
        .map(parseLogLine)
        .find((entry) => entry.msg === "api listening");
      if (listening) {
        clearTimeout(timer);
        resolve({
          child,
          url: `http://127.0.0.1:${listening.port}`,
          metricsUrl: `http://127.0.0.1:${listening.metricsPort}/metrics`,
          output: () => output,
          exited,
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
}

interface LogLine {
  msg?: string;
  port?: number;
  metricsPort?: number;
}

function parseLogLine(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return {};
  }
}
