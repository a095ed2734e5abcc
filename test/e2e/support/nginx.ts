import { spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderEdgeNginxConf } from "../../../components/services/nginx/nginx-conf";
import { startService, type Service } from "./processes";

const REPO = path.resolve(__dirname, "../../..");
const FRONTEND_NGINX_DIR = path.join(REPO, "apps/frontend/nginx");
const NGINX = "/usr/sbin/nginx";

/** The directives that make nginx write files: in the images they point into the /tmp emptyDir. */
const WRITING_DIRECTIVES = /^(\s*(?:pid|client_body_temp_path|proxy_temp_path|fastcgi_temp_path|uwsgi_temp_path|scgi_temp_path)\s+)\/tmp\//gm;

function replaceExactly(text: string, pattern: RegExp | string, replacement: string, count: number): string {
  const regex = typeof pattern === "string" ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g") : pattern;
  const found = text.match(regex)?.length ?? 0;
  if (found !== count) throw new Error(`expected ${count} occurrence(s) of ${String(pattern)} in the nginx config, found ${found}`);
  return text.replace(regex, replacement);
}

/** Both images run nginx as an unprivileged user; as root here, run it as `nobody` and let it write only its own dir. */
const runAs = process.getuid?.() === 0 ? userIds("nobody") : undefined;

function userIds(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

function ownedByNginxUser(file: string): void {
  if (runAs) chownSync(file, runAs.uid, runAs.gid);
}

function startNginx(name: string, confFile: string, prefixDir: string, logDir: string): Service & { child: ChildProcess } {
  // nginx re-opens /dev/stdout and /dev/stderr by path: its user must be able to open the log file behind them.
  const logFile = path.join(logDir, `${name}.log`);
  writeFileSync(logFile, "");
  ownedByNginxUser(logFile);
  return startService({
    name,
    command: NGINX,
    args: ["-p", `${prefixDir}/`, "-c", confFile, "-e", "stderr", "-g", "daemon off;"],
    ...runAs,
    logDir,
    stopSignal: "SIGQUIT", // graceful, as the images' STOPSIGNAL
  });
}

/**
 * The frontend image's nginx, with its own config files: only the listen address, the document root
 * and /tmp (the pod's emptyDir) are moved.
 */
export function startFrontendNginx(options: { port: number; htmlDir: string; workDir: string; logDir: string }) {
  const confDir = path.join(options.workDir, "frontend-nginx");
  const writableDir = path.join(confDir, "tmp");
  mkdirSync(path.join(confDir, "conf.d"), { recursive: true });
  mkdirSync(writableDir);
  ownedByNginxUser(writableDir);
  const main = replaceExactly(readFileSync(path.join(FRONTEND_NGINX_DIR, "nginx.conf"), "utf8"), WRITING_DIRECTIVES, `$1${writableDir}/`, 6);
  let server = readFileSync(path.join(FRONTEND_NGINX_DIR, "default.conf"), "utf8");
  server = replaceExactly(server, "listen 8080;", `listen 127.0.0.1:${options.port};`, 1);
  server = replaceExactly(server, "root /usr/share/nginx/html;", `root ${options.htmlDir};`, 1);
  writeFileSync(path.join(confDir, "nginx.conf"), main);
  writeFileSync(path.join(confDir, "conf.d", "default.conf"), server);
  copyFileSync("/etc/nginx/mime.types", path.join(confDir, "mime.types"));
  return startNginx("frontend-nginx", path.join(confDir, "nginx.conf"), confDir, options.logDir);
}

/** The edge nginx, rendered by the same function the Pulumi program uses, in its standalone (test) mode. */
export function startEdgeNginx(options: {
  ports: { http: number; redirect: number; stubStatus: number };
  upstreams: { frontend: string; api: string; grafana: string };
  workDir: string;
  logDir: string;
}) {
  const dir = path.join(options.workDir, "edge-nginx");
  mkdirSync(dir);
  ownedByNginxUser(dir);
  const conf = renderEdgeNginxConf({
    upstreams: options.upstreams,
    // Upstreams are IP literals here, so nothing is ever resolved; the directive still needs an address.
    resolver: "127.0.0.1",
    resolverValidSeconds: 30,
    hsts: false,
    redirectHttpToHttps: false,
    clientMaxBodySize: "10m",
    apiRateLimit: { requestsPerSecond: 50, burst: 100 },
    proxyTimeoutSeconds: 30,
    standalone: {
      listenAddress: "127.0.0.1",
      httpPort: options.ports.http,
      redirectPort: options.ports.redirect,
      stubStatusPort: options.ports.stubStatus,
      runtimeDir: dir,
    },
  });
  const confFile = path.join(options.workDir, "edge-nginx.conf");
  writeFileSync(confFile, conf);
  return startNginx("edge-nginx", confFile, dir, options.logDir);
}
