import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startAnalyzerStub, type AnalyzerStub } from "./support/analyzer-stub.js";
import { API_DIR } from "./support/process.js";
import { apiEnv, freshDatabase, services } from "./support/services.js";

const run = promisify(execFile);
const dockerfile = readFileSync(join(API_DIR, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(API_DIR, ".dockerignore"), "utf8");
const RUNTIME_UID = 10001;

/** The instructions of the last stage, one logical line each (continuations joined). */
function runtimeStage(): string[] {
  const lines = dockerfile.replace(/\\\n/g, " ").split("\n").map((line) => line.trim());
  const lastFrom = lines.map((line) => line.startsWith("FROM ")).lastIndexOf(true);
  return lines.slice(lastFrom).filter((line) => line !== "" && !line.startsWith("#"));
}

describe("container image (apps/api/Dockerfile)", () => {
  it("runs node under tini as uid 10001 in production mode, serving dist/server.js", () => {
    const stage = runtimeStage();
    assert.ok(stage.includes('ENTRYPOINT ["/sbin/tini", "--"]'));
    assert.ok(stage.includes('CMD ["node", "dist/server.js"]'));
    assert.ok(stage.includes("ENV NODE_ENV=production"));
    assert.ok(stage.includes(`USER ${RUNTIME_UID}:${RUNTIME_UID}`));
    assert.ok(stage.some((line) => line.startsWith("RUN apk add --no-cache tini")));
    assert.ok(stage.some((line) => line.includes("COPY --from=deps")), "production node_modules come from the deps stage");
    assert.ok(!stage.some((line) => /npm (ci|install)/.test(line)), "nothing is installed in the runtime stage itself");
    assert.match(dockerfile, /RUN npm ci --omit=dev/);
  });

  it("sends only what the Dockerfile copies as build context", () => {
    const rules = dockerignore.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
    assert.equal(rules[0], "*", "allow-list: ignore everything first");
    const allowed = rules.filter((rule) => rule.startsWith("!")).map((rule) => rule.slice(1).replace(/\/$/, ""));
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(/\s+/));
    assert.deepEqual([...new Set(copied)].sort(), [...allowed].sort());
    for (const excluded of ["**/node_modules", "**/dist", "**/test", "**/bench"]) assert.ok(rules.includes(excluded), excluded);
  });

  describe("runtime layout, rebuilt here the way the Dockerfile assembles it", function () {
    this.timeout(120_000);
    let appDir: string;
    let analyzer: AnalyzerStub;

    before(async () => {
      appDir = mkdtempSync(join(tmpdir(), "nsip-api-image-"));
      chmodSync(appDir, 0o755);
      for (const path of ["package.json", "package-lock.json", "dist", "migrations"]) cpSync(join(API_DIR, path), join(appDir, path), { recursive: true });
      // The deps stage: production dependencies only (from npm's cache, which `npm ci` filled).
      await run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: appDir });
      analyzer = await startAnalyzerStub();
    });

    after(async () => {
      await analyzer?.close();
      if (appDir) rmSync(appDir, { recursive: true, force: true });
    });

    function asServiceUser(): { uid?: number; gid?: number } {
      return process.getuid?.() === 0 ? { uid: RUNTIME_UID, gid: RUNTIME_UID } : {};
    }

    it("has no dev dependency installed", async () => {
      const lock = JSON.parse(readFileSync(join(API_DIR, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
      const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && entry.dev).map(([path]) => path);
      assert.ok(devOnly.length > 0);
      const { stdout } = await run("npm", ["ls", "--omit=dev", "--parseable", "--all"], { cwd: appDir });
      for (const path of devOnly) assert.ok(!stdout.includes(join(appDir, path)), `${path} is a dev dependency`);
    });

    it("migrates and serves with production dependencies only, as uid 10001, healthy by its HEALTHCHECK", async () => {
      const { redis } = await services();
      const db = await freshDatabase({ migrated: false });
      const env = { PATH: process.env.PATH, NODE_ENV: "production", ...apiEnv(db, redis, analyzer.url, { LOG_LEVEL: "info" }) };

      const migrated = await run(process.execPath, ["dist/migrate.js"], { cwd: appDir, env, ...asServiceUser() });
      assert.match(migrated.stdout, /applied 001_create_analyses/);

      const server = spawn(process.execPath, ["dist/server.js"], { cwd: appDir, env, ...asServiceUser() });
      try {
        const port = await new Promise<number>((resolve, reject) => {
          let output = "";
          server.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            const match = /"msg":"api listening"/.test(output) ? /"port":(\d+)/.exec(output) : null;
            if (match) resolve(Number(match[1]));
          });
          server.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
          server.on("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
        });
        // Ready once its background connections are up.
        let ready = 0;
        for (let attempt = 0; attempt < 100 && ready !== 200; attempt++) {
          ready = (await fetch(`http://127.0.0.1:${port}/ready`)).status;
          if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(ready, 200);
        const healthcheck = /HEALTHCHECK .*CMD \["node", "-e", "(.+)"\]/.exec(runtimeStage().join("\n"));
        assert.ok(healthcheck, "HEALTHCHECK runs node -e");
        const probe = await run(process.execPath, ["-e", JSON.parse(`"${healthcheck[1]}"`) as string], { env: { PORT: String(port) } });
        assert.equal(probe.stderr, "");
        const failing = await run(process.execPath, ["-e", JSON.parse(`"${healthcheck[1]}"`) as string], { env: { PORT: "1" } }).then(
          () => "exit 0",
          (error: { code?: number }) => `exit ${error.code}`,
        );
        assert.equal(failing, "exit 1", "the HEALTHCHECK fails when nothing answers");
      } finally {
        server.kill("SIGTERM");
        await new Promise((resolve) => server.once("exit", resolve));
      }
    });
  });
});
