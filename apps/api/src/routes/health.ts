import { Router } from "express";
import type { AnalysisCache } from "../cache.js";
import type { AnalysisStore } from "../db.js";
import type { Lifecycle } from "../lifecycle.js";

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes(deps: { store: AnalysisStore; cache: AnalysisCache; lifecycle: Lifecycle }): Router {
  const router = Router();

  // Liveness: the process answers. Deliberately touches no dependency, so an outage never restarts pods.
  router.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  // Readiness: PostgreSQL and Redis answer, and we are not draining.
  router.get("/ready", async (_req, res) => {
    const [postgres, redis] = await Promise.allSettled([
      withTimeout(deps.store.ping(), CHECK_TIMEOUT_MS),
      withTimeout(deps.cache.ping(), CHECK_TIMEOUT_MS),
    ]);
    const checks = { postgres: postgres.status === "fulfilled" ? "ok" : "down", redis: redis.status === "fulfilled" ? "ok" : "down" };
    if (deps.lifecycle.shuttingDown) {
      res.status(503).json({ error: { code: "SHUTTING_DOWN", message: "the api is shutting down" }, checks });
    } else if (checks.postgres === "ok" && checks.redis === "ok") {
      res.json({ status: "ready", checks });
    } else {
      const down = Object.entries(checks).filter(([, state]) => state !== "ok").map(([name]) => name);
      res.status(503).json({ error: { code: "NOT_READY", message: `unreachable: ${down.join(", ")}` }, checks });
    }
  });

  return router;
}
