import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startPostgres, startRedis, type PostgresInstance, type RedisInstance } from "../../../tools/testenv";
import { startEdgeNginx, startFrontendNginx } from "./nginx";
import { freePorts, run, startService, waitForHttpOk, type Service } from "./processes";

const REPO = path.resolve(__dirname, "../../..");
const PYTHON = "/usr/bin/python3"; // Debian's, with flask, gunicorn, numpy, PIL (not the pyenv one on PATH)

/**
 * The whole platform on loopback, each part the real program: PostgreSQL, Redis, the analyzer under
 * gunicorn, the api, the frontend's nginx serving the production build, and the edge nginx in front.
 */
export class Stack {
  readonly workDir = mkdtempSync(path.join(tmpdir(), "nsip-e2e-"));
  readonly logDir = path.join(this.workDir, "logs");
  /** The edge's address: what a browser opens. */
  baseUrl = "";
  private postgres?: PostgresInstance;
  private redis?: RedisInstance;
  private services: Service[] = [];

  constructor() {
    // nginx workers run unprivileged and must reach their dirs inside this one.
    chmodSync(this.workDir, 0o755);
    mkdirSync(this.logDir);
    chmodSync(this.logDir, 0o755);
  }

  async start(): Promise<void> {
    // allSettled, not all: whatever started must be known to stop() even when a sibling failed.
    const setup = await Promise.allSettled([
      startPostgres().then((instance) => (this.postgres = instance)),
      startRedis({ password: randomBytes(16).toString("hex") }).then((instance) => (this.redis = instance)),
      run({ name: "build-api", command: "npm", args: ["run", "build", "--prefix", "apps/api"], cwd: REPO, logDir: this.logDir }),
      run({ name: "build-frontend", command: "npm", args: ["run", "build", "--prefix", "apps/frontend"], cwd: REPO, logDir: this.logDir }),
    ]);
    const failure = setup.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
    const postgres = this.postgres!;
    const redis = this.redis!;

    const pgEnv = {
      PGHOST: postgres.host,
      PGPORT: String(postgres.port),
      PGUSER: postgres.user,
      PGPASSWORD: postgres.password,
      PGDATABASE: postgres.database,
    };
    await run({ name: "migrate", command: process.execPath, args: ["dist/migrate.js"], cwd: path.join(REPO, "apps/api"), env: { ...process.env, ...pgEnv }, logDir: this.logDir });

    const [analyzerPort, analyzerMetricsPort, apiPort, apiMetricsPort, frontendPort, edgePort, edgeRedirectPort, edgeStubStatusPort, nothingPort] =
      await freePorts(9);

    const multiprocDir = path.join(this.workDir, "analyzer-metrics");
    const analyzer = this.track(
      startService({
        name: "analyzer",
        command: PYTHON,
        args: ["-m", "gunicorn", "--config", "gunicorn.conf.py"],
        cwd: path.join(REPO, "apps/analyzer"),
        env: {
          ...process.env,
          PORT: String(analyzerPort),
          METRICS_PORT: String(analyzerMetricsPort),
          BIND_HOST: "127.0.0.1",
          GUNICORN_WORKERS: "2",
          PROMETHEUS_MULTIPROC_DIR: multiprocDir,
        },
        logDir: this.logDir,
      }),
    );
    const api = this.track(
      startService({
        name: "api",
        command: process.execPath,
        args: ["dist/server.js"],
        cwd: path.join(REPO, "apps/api"),
        env: {
          ...process.env,
          ...pgEnv,
          PORT: String(apiPort),
          METRICS_PORT: String(apiMetricsPort),
          LOG_LEVEL: "warn",
          REDIS_HOST: redis.host,
          REDIS_PORT: String(redis.port),
          REDIS_PASSWORD: redis.password ?? "",
          ANALYZER_URL: `http://127.0.0.1:${analyzerPort}`,
          JWT_SECRET: randomBytes(32).toString("hex"),
          RATE_LIMIT_PER_MINUTE: "1000",
        },
        logDir: this.logDir,
      }),
    );
    // A copy in our world-readable work dir: the unprivileged nginx user may not be able to reach the
    // checkout (a clone under a 0700 temp dir, as in CI).
    const htmlDir = path.join(this.workDir, "html");
    cpSync(path.join(REPO, "apps/frontend/dist"), htmlDir, { recursive: true });
    const frontend = this.track(startFrontendNginx({ port: frontendPort, htmlDir, workDir: this.workDir, logDir: this.logDir }));
    const edge = this.track(
      startEdgeNginx({
        ports: { http: edgePort, redirect: edgeRedirectPort, stubStatus: edgeStubStatusPort },
        // Grafana is not part of this test: its upstream is a port nothing listens on.
        upstreams: { frontend: `127.0.0.1:${frontendPort}`, api: `127.0.0.1:${apiPort}`, grafana: `127.0.0.1:${nothingPort}` },
        workDir: this.workDir,
        logDir: this.logDir,
      }),
    );

    await Promise.all([
      waitForHttpOk(`http://127.0.0.1:${analyzerPort}/ready`, analyzer),
      waitForHttpOk(`http://127.0.0.1:${apiPort}/ready`, api),
      waitForHttpOk(`http://127.0.0.1:${frontendPort}/healthz`, frontend),
      waitForHttpOk(`http://127.0.0.1:${edgePort}/healthz`, edge),
    ]);
    this.baseUrl = `http://127.0.0.1:${edgePort}`;
  }

  private track<T extends Service>(service: T): T {
    this.services.push(service);
    return service;
  }

  /** The last lines each service wrote, for the report of a failed test. */
  logs(lines = 40): string {
    return this.services
      .map((service) => `----- ${service.name} -----\n${service.output().split("\n").slice(-lines).join("\n")}`)
      .join("\n");
  }

  /** Stops everything that started, newest first, even when some of it failed. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    for (const service of [...this.services].reverse()) {
      await service.stop().catch((error: unknown) => errors.push(error));
    }
    for (const server of [this.redis, this.postgres]) {
      await server?.stop().catch((error: unknown) => errors.push(error));
    }
    rmSync(this.workDir, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, "stopping the e2e stack failed");
  }
}
