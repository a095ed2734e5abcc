import cors from "cors";
import express, { type Express } from "express";
import helmet from "helmet";
import { rateLimit } from "express-rate-limit";
import type { AnalyzerClient } from "./analyzer.js";
import type { AnalysisCache } from "./cache.js";
import type { Config } from "./config.js";
import type { CursorCodec } from "./cursor.js";
import type { AnalysisStore } from "./db.js";
import { errorBody } from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { errorHandler, notFound, requestLifecycle } from "./middleware.js";
import { analysesRoutes } from "./routes/analyses.js";
import { healthRoutes } from "./routes/health.js";
import type { UploadSlots } from "./upload-slots.js";

export interface AppDeps {
  config: Pick<Config, "MAX_UPLOAD_BYTES" | "CORS_ORIGINS" | "RATE_LIMIT_PER_MINUTE" | "BODY_IDLE_TIMEOUT_MS">;
  logger: Logger;
  store: AnalysisStore;
  cache: AnalysisCache;
  analyzer: AnalyzerClient;
  cursors: CursorCodec;
  metrics: Metrics;
  lifecycle: Lifecycle;
  uploadSlots: UploadSlots;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Clients reach us through the nginx edge: believe X-Forwarded-For only from private peers, so the
  // rate limit keys on the real client rather than on nginx.
  app.set("trust proxy", "loopback, linklocal, uniquelocal");

  app.use(requestLifecycle(deps));
  // Our own security headers, whatever is in front of us (the edge replaces these with its own).
  // Everything we serve is JSON: no content may load anything or be framed.
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    }),
  );

  // Probes sit before CORS and are never rate-limited: kubelet must not be throttled.
  app.use(healthRoutes(deps));

  // Without configured origins no CORS header is ever sent, which is what not mounting cors gives.
  if (deps.config.CORS_ORIGINS.length > 0) {
    app.use("/api", cors({ origin: deps.config.CORS_ORIGINS, exposedHeaders: ["X-Request-Id", "Location"] }));
  }
  app.use(
    analysesRoutes({
      maxUploadBytes: deps.config.MAX_UPLOAD_BYTES,
      uploadSlots: deps.uploadSlots,
      bodyIdleTimeoutMs: deps.config.BODY_IDLE_TIMEOUT_MS,
      rateLimit: rateLimit({
        windowMs: 60_000,
        limit: deps.config.RATE_LIMIT_PER_MINUTE,
        standardHeaders: "draft-8",
        legacyHeaders: false,
        handler: (_req, res) => {
          res.status(429).json(errorBody("RATE_LIMITED", "too many requests, slow down"));
        },
      }),
      store: deps.store,
      cache: deps.cache,
      analyzer: deps.analyzer,
      cursors: deps.cursors,
      metrics: deps.metrics,
    }),
  );

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
