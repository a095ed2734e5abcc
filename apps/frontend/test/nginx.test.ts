// @vitest-environment node
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { get as httpGet, type IncomingHttpHeaders } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NGINX_DIR,
  freePort,
  prepareNginxPrefix,
  removePrefix,
  startNginx,
  testNginxConfig,
  type NginxPrefix,
  type RunningNginx,
  WRITING_DIRECTIVES,
} from "./nginx-harness";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const IMMUTABLE = "public, max-age=31536000, immutable";

let prefix: NginxPrefix;
let nginx: RunningNginx | undefined;
let scriptPath: string;
let scriptBody: string;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Plain node:http, since fetch decompresses on its own and would hide what nginx sends. */
function get(pathname: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${nginx!.baseUrl}${pathname}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

beforeAll(async () => {
  const port = await freePort();
  prefix = prepareNginxPrefix({ port });
  const { htmlDir } = prefix;
  // The real production bundle, built into the prefix where the unprivileged nginx user can read it.
  const build = spawnSync(process.execPath, [path.join(APP_DIR, "node_modules/vite/bin/vite.js"), "build", "--outDir", htmlDir, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: APP_DIR,
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}${build.stderr}`);
  const script = readdirSync(path.join(htmlDir, "assets")).find((name) => name.endsWith(".js"));
  if (!script) throw new Error("the build produced no JavaScript asset");
  scriptPath = `/assets/${script}`;
  scriptBody = readFileSync(path.join(htmlDir, "assets", script), "utf8");

  nginx = await startNginx(prefix, port);
});

afterAll(async () => {
  await nginx?.stop();
  if (prefix) removePrefix(prefix);
});

describe("the image's nginx config, run by real nginx over the production build", () => {
  it("passes nginx -t", () => {
    const result = testNginxConfig(prefix);
    expect(result.output).toContain("syntax is ok");
    expect(result.ok).toBe(true);
  });

  it("writes only under /tmp: pid and every temp path are there, and nginx created them in the stand-in", () => {
    const main = readFileSync(path.join(NGINX_DIR, "nginx.conf"), "utf8");
    expect(main.match(WRITING_DIRECTIVES)).toHaveLength(6);
    expect(main).toMatch(/^error_log stderr /m);
    expect(main).toMatch(/^\s*access_log \/dev\/stdout /m);
    expect(main).not.toMatch(/^\s*user\s/m);
    expect(readdirSync(prefix.writableDir).sort()).toEqual(["client_temp", "fastcgi_temp", "nginx.pid", "proxy_temp", "scgi_temp", "uwsgi_temp"]);
  });

  it("answers /healthz with 200", async () => {
    const { status, headers, body } = await get("/healthz");
    expect(status).toBe(200);
    expect(headers["content-type"]).toBe("text/plain");
    expect(body.toString()).toBe("ok\n");
  });

  it("serves index.html with no-cache and no nginx version", async () => {
    for (const pathname of ["/", "/index.html"]) {
      const { status, headers, body } = await get(pathname);
      expect(status).toBe(200);
      expect(headers["content-type"]).toMatch(/^text\/html/);
      expect(headers["cache-control"]).toBe("no-cache");
      expect(headers["server"]).toBe("nginx");
      expect(body.toString()).toContain('<div id="root"></div>');
      expect(body.toString()).toContain(scriptPath);
    }
  });

  it("falls back to index.html for client-side routes", async () => {
    const { status, headers, body } = await get("/analyses/0b0c7a9e-6a43-4f0e-9a55-6a2f7f8d9e10");
    expect(status).toBe(200);
    expect(headers["cache-control"]).toBe("no-cache");
    expect(body.toString()).toContain('<div id="root"></div>');
  });

  it("caches hashed assets for a year as immutable, with a JavaScript content type", async () => {
    const { status, headers, body } = await get(scriptPath);
    expect(status).toBe(200);
    expect(headers["cache-control"]).toBe(IMMUTABLE);
    expect(headers["content-type"]).toMatch(/javascript/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(body.toString()).toBe(scriptBody);
  });

  it("answers a missing asset with 404, not the SPA shell and not a year-long cache", async () => {
    const { status, headers, body } = await get("/assets/index-missing.js");
    expect(status).toBe(404);
    expect(headers["cache-control"]).toBeUndefined();
    expect(body.toString()).not.toContain('<div id="root">');
  });

  it("gzips text when the client accepts it, and not otherwise", async () => {
    const gzipped = await get(scriptPath, { "Accept-Encoding": "gzip" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers["vary"]).toBe("Accept-Encoding");
    expect(gunzipSync(gzipped.body).toString()).toBe(scriptBody);
    expect(gzipped.body.length).toBeLessThan(scriptBody.length / 2);

    const html = await get("/", { "Accept-Encoding": "gzip" });
    expect(html.headers["content-encoding"]).toBe("gzip");

    const plain = await get(scriptPath);
    expect(plain.headers["content-encoding"]).toBeUndefined();
  });

  it("runs as an unprivileged user when started by root, like uid 101 in the image", () => {
    if (process.getuid?.() !== 0) {
      expect(prefix.runAs).toBeUndefined();
      return;
    }
    expect(prefix.runAs?.name).toBe("nobody");
    expect(existsSync(path.join(prefix.writableDir, "nginx.pid"))).toBe(true);
    const pid = readFileSync(path.join(prefix.writableDir, "nginx.pid"), "utf8").trim();
    const owner = spawnSync("ps", ["-o", "user=", "-p", pid], { encoding: "utf8" }).stdout.trim();
    expect(owner).toBe("nobody");
  });
});
