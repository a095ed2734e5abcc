import { createClient } from "redis";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

const COMMAND_TIMEOUT_MS = 1_000;
const key = (id: string): string => `nsip:analysis:${id}`;

/**
 * Redis cache of analyses, stored as their JSON text. The cache is an optimisation: callers treat
 * its failures as misses. Commands fail fast while disconnected instead of queueing.
 */
export class AnalysisCache {
  private readonly client;
  private readonly ttlSeconds: number;

  constructor(
    config: Config,
    private readonly logger: Logger,
  ) {
    this.client = createClient({
      socket: {
        host: config.REDIS_HOST,
        port: config.REDIS_PORT,
        connectTimeout: 5_000,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000),
      },
      password: config.REDIS_PASSWORD,
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    });
    this.client.on("error", (error: unknown) => logger.warn({ err: error }, "Redis connection error"));
    this.ttlSeconds = config.CACHE_TTL_SECONDS;
  }

  /** Connects in the background; readiness reports Redis down until this succeeds. */
  connect(): void {
    this.client.connect().catch((error: unknown) => this.logger.warn({ err: error }, "Redis connect failed"));
  }

  async get(id: string): Promise<string | undefined> {
    try {
      return (await this.client.get(key(id))) ?? undefined;
    } catch (error) {
      this.logger.warn({ err: error }, "Redis GET failed; reading PostgreSQL instead");
      return undefined;
    }
  }

  async set(id: string, json: string): Promise<void> {
    try {
      await this.client.set(key(id), json, { EX: this.ttlSeconds });
    } catch (error) {
      this.logger.warn({ err: error }, "Redis SET failed; analysis stays uncached");
    }
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close();
  }
}
