import type { Express } from "express";
import type pg from "pg";
import { AnalyzerClient } from "./analyzer.js";
import { createApp } from "./app.js";
import { AnalysisCache } from "./cache.js";
import type { Config } from "./config.js";
import { CursorCodec } from "./cursor.js";
import { AnalysisStore, createPool } from "./db.js";
import { Lifecycle } from "./lifecycle.js";
import type { Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { UploadSlots } from "./upload-slots.js";

export interface Api {
  app: Express;
  pool: pg.Pool;
  cache: AnalysisCache;
  metrics: Metrics;
  lifecycle: Lifecycle;
}

/** Wires the app to its dependencies from a validated config; connecting and listening is the caller's. */
export function createApi(config: Config, logger: Logger): Api {
  const pool = createPool(config, logger);
  const cache = new AnalysisCache(config, logger);
  const metrics = createMetrics(pool);
  const lifecycle = new Lifecycle();
  const app = createApp({
    config,
    logger,
    store: new AnalysisStore(pool),
    cache,
    analyzer: new AnalyzerClient(config.ANALYZER_URL, config.ANALYZER_TIMEOUT_MS),
    cursors: new CursorCodec(config.JWT_SECRET),
    metrics,
    lifecycle,
    // As many may wait as run; waiting costs a socket, not a body.
    uploadSlots: new UploadSlots(config.MAX_CONCURRENT_UPLOADS, config.UPLOAD_QUEUE_TIMEOUT_MS, config.MAX_CONCURRENT_UPLOADS * 4),
  });
  return { app, pool, cache, metrics, lifecycle };
}
