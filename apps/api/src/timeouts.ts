import type { ServerOptions } from "node:http";
import type { Config } from "./config.js";

/**
 * Node's own limits on a request's arrival: its headers within HEADERS_TIMEOUT_MS, all of it
 * within REQUEST_TIMEOUT_MS (408 and closed otherwise; Node's default is 5 minutes), checked every
 * second rather than every 30 s, so a stalled request is cut close to its limit. Idle keep-alive
 * sockets last longer than the proxies' in front (nginx: 60 s), so they never reuse a socket we
 * just closed. The upload route cuts a stalled body sooner (BODY_IDLE_TIMEOUT_MS).
 */
export function serverOptions(config: Pick<Config, "HEADERS_TIMEOUT_MS" | "REQUEST_TIMEOUT_MS">): ServerOptions {
  return {
    keepAliveTimeout: 65_000,
    headersTimeout: config.HEADERS_TIMEOUT_MS,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: 1_000,
  };
}
