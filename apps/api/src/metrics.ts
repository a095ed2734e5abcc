import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<"method" | "route" | "status_code">;
  readonly cacheLookups: Counter<"result">;
  readonly analysesCreated: Counter;
}

/** One registry per app instance, so tests can run several apps in one process. Names are the CONTRACT's. */
export function createMetrics(pool: PoolStats): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequestDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Duration of HTTP requests served by the api, by method, matched route and status code",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: "nsip_api_db_pool_connections",
    help: "PostgreSQL pool connections: total open and idle",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      this.set({ state: "total" }, pool.totalCount);
      this.set({ state: "idle" }, pool.idleCount);
    },
  });
  new Gauge({
    name: "nsip_api_db_pool_waiting_clients",
    help: "Queries waiting for a free PostgreSQL pool connection",
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  const cacheLookups = new Counter({
    name: "nsip_api_cache_lookups_total",
    help: "Redis lookups of analyses by result",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const analysesCreated = new Counter({
    name: "nsip_api_analyses_created_total",
    help: "Analyses stored",
    registers: [registry],
  });
  // Both label values exist from the start, so a hit ratio query never divides by a missing series.
  cacheLookups.inc({ result: "hit" }, 0);
  cacheLookups.inc({ result: "miss" }, 0);

  return { registry, httpRequestDuration, cacheLookups, analysesCreated };
}

/** A bare HTTP server for GET /metrics on its own port, kept off the public app and its middleware. */
export function createMetricsServer(registry: Registry): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
    );
  });
}
