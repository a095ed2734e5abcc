import { randomBytes } from "node:crypto";
import pg from "pg";
import { startPostgres, startRedis, type PostgresInstance, type RedisInstance } from "../../../../tools/testenv/index.js";
import { migrate, MIGRATIONS_DIR, readMigrations } from "../../src/migrate.js";

export interface Services {
  postgres: PostgresInstance;
  redis: RedisInstance;
}

export interface Database {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

let shared: Promise<Services> | undefined;

/** One real PostgreSQL and one real Redis for the whole run, started on first use. */
export function services(): Promise<Services> {
  shared ??= Promise.all([startPostgres(), startRedis({ password: randomBytes(8).toString("hex") })]).then(
    ([postgres, redis]) => ({ postgres, redis }),
  );
  return shared;
}

export async function stopServices(): Promise<void> {
  if (!shared) return;
  const { postgres, redis } = await shared;
  await Promise.all([postgres.stop(), redis.stop()]);
}

/** A new, empty database on the shared server, so each suite starts from a known state. */
export async function freshDatabase(options: { migrated: boolean }): Promise<Database> {
  const { postgres } = await services();
  const database = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ ...connection(postgres), database: postgres.database });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const created: Database = { ...connection(postgres), database };
  if (options.migrated) {
    const client = new pg.Client(created);
    await client.connect();
    await migrate(client, await readMigrations(MIGRATIONS_DIR), () => undefined);
    await client.end();
  }
  return created;
}

function connection(postgres: PostgresInstance): Omit<Database, "database"> {
  return { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password };
}

export const JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";

/** The api's environment for the given database, Redis and analyzer; overrides win. */
export function apiEnv(db: Database, redis: RedisInstance, analyzerUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    PORT: "0",
    METRICS_PORT: "0",
    LOG_LEVEL: "silent",
    PGHOST: db.host,
    PGPORT: String(db.port),
    PGUSER: db.user,
    PGPASSWORD: db.password,
    PGDATABASE: db.database,
    REDIS_HOST: redis.host,
    REDIS_PORT: String(redis.port),
    REDIS_PASSWORD: redis.password ?? "",
    ANALYZER_URL: analyzerUrl,
    ANALYZER_TIMEOUT_MS: "2000",
    JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: "100000",
    ...overrides,
  };
}
