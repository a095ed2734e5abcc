import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApi, type Api } from "../../src/api.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createMetricsServer } from "../../src/metrics.js";
import { serverOptions } from "../../src/timeouts.js";

export interface RunningApi extends Api {
  url: string;
  metricsUrl: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** The real app, wired exactly as server.ts wires it, listening on loopback ports in this process. */
export async function startApi(env: Record<string, string>): Promise<RunningApi> {
  const config = loadConfig(env);
  const api = createApi(config, createLogger(config.LOG_LEVEL));
  api.cache.connect();
  const server = createServer(serverOptions(config), api.app);
  const metricsServer = createMetricsServer(api.metrics.registry);
  const [port, metricsPort] = await Promise.all([listen(server), listen(metricsServer)]);
  return {
    ...api,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    async close() {
      server.closeAllConnections();
      metricsServer.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => server.close(resolve)),
        new Promise((resolve) => metricsServer.close(resolve)),
        api.pool.end(),
        api.cache.close(),
      ]);
    },
  };
}
