import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The production configuration files shipped in the image. */
export const NGINX_DIR = fileURLToPath(new URL("../nginx", import.meta.url));
const NGINX_BIN = "/usr/sbin/nginx";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Replaces `from` with `to`, insisting it occurs exactly `count` times so a config edit cannot silently break the test. */
export function replaceExactly(text: string, from: string | RegExp, to: string, count: number): string {
  const pattern = typeof from === "string" ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g") : from;
  const found = text.match(pattern)?.length ?? 0;
  if (found !== count) throw new Error(`expected ${count} occurrence(s) of ${String(from)}, found ${found}`);
  return text.replace(pattern, to);
}

/** The directives that make nginx write files: the pid file and the five request temp paths. */
export const WRITING_DIRECTIVES = /^(\s*(?:pid|client_body_temp_path|proxy_temp_path|fastcgi_temp_path|uwsgi_temp_path|scgi_temp_path)\s+)\/tmp\//gm;

export interface NginxPrefix {
  root: string;
  /** Stands in for /usr/share/nginx/html: put the built SPA here. */
  htmlDir: string;
  /** Stands in for the container's /tmp emptyDir: the only directory nginx may write to. */
  writableDir: string;
  confFile: string;
  /** Runs nginx as this user when the test runs as root (as the image runs as uid 101, not root). */
  runAs?: { name: string; uid: number; gid: number };
}

/**
 * Lays out the image's nginx config in a temp prefix: /etc/nginx -> <root>/conf, /tmp -> <root>/tmp,
 * the listen port and the document root swapped for the test's. Nothing else changes.
 */
export function prepareNginxPrefix(options: { port: number }): NginxPrefix {
  const root = mkdtempSync(path.join(tmpdir(), "nsip-frontend-nginx-"));
  chmodSync(root, 0o755);
  const confDir = path.join(root, "conf");
  const writableDir = path.join(root, "tmp");
  const htmlDir = path.join(root, "html");
  mkdirSync(path.join(confDir, "conf.d"), { recursive: true });
  mkdirSync(writableDir);
  mkdirSync(htmlDir);

  const main = replaceExactly(readFileSync(path.join(NGINX_DIR, "nginx.conf"), "utf8"), WRITING_DIRECTIVES, `$1${writableDir}/`, 6);
  const server = replaceExactly(
    replaceExactly(readFileSync(path.join(NGINX_DIR, "default.conf"), "utf8"), "listen 8080;", `listen 127.0.0.1:${options.port};`, 1),
    "root /usr/share/nginx/html;",
    `root ${htmlDir};`,
    1,
  );
  const confFile = path.join(confDir, "nginx.conf");
  writeFileSync(confFile, main);
  writeFileSync(path.join(confDir, "conf.d", "default.conf"), server);
  copyFileSync("/etc/nginx/mime.types", path.join(confDir, "mime.types"));

  const prefix: NginxPrefix = { root, htmlDir, writableDir, confFile };
  if (process.getuid?.() === 0) {
    // Like the read-only image: an unprivileged user who can write nowhere but the stand-in for /tmp.
    prefix.runAs = { name: "nobody", ...userIds("nobody") };
    chownSync(writableDir, prefix.runAs.uid, prefix.runAs.gid);
  }
  return prefix;
}

function userIds(name: string): { uid: number; gid: number } {
  const ids = (flag: string) => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());
  return { uid: ids("-u"), gid: ids("-g") };
}

function nginxArgs(prefix: NginxPrefix, args: string[]): string[] {
  return ["-p", `${prefix.root}/`, "-c", prefix.confFile, "-e", "stderr", ...args];
}

/** Dropping privileges in spawn itself (not via runuser) keeps nginx our direct child, so signals reach it. */
function asNginxUser(prefix: NginxPrefix): { uid?: number; gid?: number } {
  return prefix.runAs ? { uid: prefix.runAs.uid, gid: prefix.runAs.gid } : {};
}

/** `nginx -t`: the real parser's verdict on the config. */
export function testNginxConfig(prefix: NginxPrefix): { ok: boolean; output: string } {
  const log = openLogFile(prefix, "nginx-t.log");
  const result = spawnSync(NGINX_BIN, nginxArgs(prefix, ["-t"]), { stdio: ["ignore", log.fd, log.fd], ...asNginxUser(prefix) });
  closeSync(log.fd);
  return { ok: result.status === 0, output: log.read() };
}

/**
 * nginx's stdout/stderr as a file, not a pipe: node's pipes are sockets, and nginx cannot open()
 * /dev/stdout (its access_log) when that is a socket. In a container it is a pipe or a file.
 */
function openLogFile(prefix: NginxPrefix, name: string): { fd: number; read(): string } {
  const file = path.join(prefix.root, name);
  const fd = openSync(file, "a");
  // nginx re-opens /dev/stdout by path, so its user must be able to open the file behind it.
  if (prefix.runAs) chownSync(file, prefix.runAs.uid, prefix.runAs.gid);
  return { fd, read: () => readFileSync(file, "utf8") };
}

export interface RunningNginx {
  baseUrl: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startNginx(prefix: NginxPrefix, port: number): Promise<RunningNginx> {
  const log = openLogFile(prefix, "nginx.log");
  const child: ChildProcess = spawn(NGINX_BIN, nginxArgs(prefix, ["-g", "daemon off;"]), { stdio: ["ignore", log.fd, log.fd], ...asNginxUser(prefix) });
  closeSync(log.fd);
  const output = log.read;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGQUIT"); // graceful shutdown, the image's STOPSIGNAL
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return { baseUrl, output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`nginx did not answer /healthz within 15s:\n${output()}`);
}

export function removePrefix(prefix: NginxPrefix): void {
  rmSync(prefix.root, { recursive: true, force: true });
}
