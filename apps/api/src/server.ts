import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApi } from "./api.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { warmPool } from "./db.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetricsServer } from "./metrics.js";
import { serverOptions } from "./timeouts.js";

/** Share of SHUTDOWN_TIMEOUT_MS given to draining requests; the rest is for closing pools. */
const DRAIN_SHARE = 0.75;

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function start(config: Config, logger: Logger): Promise<void> {
  const { app, pool, cache, metrics, lifecycle } = createApi(config, logger);

  // Dependencies may come up after us: serve /health at once and let /ready report them.
  cache.connect();
  warmPool(pool, config.PG_POOL_MIN).catch((error: unknown) => logger.warn({ err: error }, "PostgreSQL not reachable yet"));

  const server = createServer(serverOptions(config), app);
  const metricsServer = createMetricsServer(metrics.registry);
  const port = await listen(server, config.PORT, config.HOST);
  const metricsPort = await listen(metricsServer, config.METRICS_PORT, config.HOST);
  logger.info({ host: config.HOST, port, metricsPort }, "api listening");

  let shuttingDown = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const startedAt = Date.now();
    logger.info({ signal, inFlight: lifecycle.inFlight.size }, "shutting down: refusing new connections, draining requests");
    setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, "shutdown timed out; exiting");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();

    lifecycle.beginShutdown();
    const drained = closeServer(server);
    // Keep-alive sockets become idle as their last response ends; close them as they do.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    let cutShort = false;
    const drainDeadline = setTimeout(() => {
      cutShort = true;
      logger.warn({ inFlight: lifecycle.inFlight.size }, "drain deadline reached; closing remaining connections");
      server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT_MS * DRAIN_SHARE);
    await drained;
    clearInterval(idleSweep);
    clearTimeout(drainDeadline);

    const results = await Promise.allSettled([pool.end(), cache.close(), closeServer(metricsServer)]);
    const failed = results.filter((result) => result.status === "rejected");
    for (const failure of failed) logger.warn({ err: failure.reason }, "closing a resource failed");
    logger.info({ durationMs: Date.now() - startedAt, cutShort }, "shutdown complete");
    // Non-zero when requests had to be cut, so the platform sees an unclean stop.
    process.exit(cutShort ? 1 : 0);
  };
  // `on`, not `once`: a repeated signal must not cut the drain short with the default action.
  process.on("SIGTERM", (signal) => void shutdown(signal));
  process.on("SIGINT", (signal) => void shutdown(signal));
}

function main(): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`nsip-api: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  process.on("unhandledRejection", (reason) => {
    logger.fatal({ err: reason }, "unhandled promise rejection");
    process.exit(1);
  });
  start(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, "api failed to start");
    process.exit(1);
  });
}

main();
