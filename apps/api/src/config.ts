import { z } from "zod";

const integer = () => z.coerce.number({ error: "must be an integer" }).int("must be an integer");
const port = (fallback: number) => integer().min(0, "must be a port number").max(65535, "must be a port number").default(fallback);
const positiveInt = (fallback: number) => integer().positive("must be a positive integer").default(fallback);
const required = z.string().trim().min(1, "is required");
const optional = z.string().optional();

const postgresShape = {
  PGHOST: required,
  PGPORT: port(5432),
  PGUSER: required,
  PGPASSWORD: optional,
  PGDATABASE: required,
};

const apiShape = {
  HOST: z.string().trim().min(1).default("0.0.0.0"),
  PORT: port(3000),
  METRICS_PORT: port(9100),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ...postgresShape,
  PG_POOL_MIN: integer().min(0, "must be >= 0").default(2),
  PG_POOL_MAX: positiveInt(20),
  REDIS_HOST: required,
  REDIS_PORT: port(6379),
  REDIS_PASSWORD: optional,
  CACHE_TTL_SECONDS: positiveInt(3600),
  ANALYZER_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).transform((url) => url.replace(/\/+$/, "")),
  ANALYZER_TIMEOUT_MS: positiveInt(10_000),
  MAX_UPLOAD_BYTES: positiveInt(10_485_760),
  // Uploads whose bodies are read and held at once; see UploadSlots and stacks/profiles.ts.
  MAX_CONCURRENT_UPLOADS: positiveInt(4),
  UPLOAD_QUEUE_TIMEOUT_MS: positiveInt(2_000),
  // A body that sends nothing for this long is cut (408); the whole request must arrive within
  // REQUEST_TIMEOUT_MS, its headers within HEADERS_TIMEOUT_MS (Node's server timeouts).
  BODY_IDLE_TIMEOUT_MS: positiveInt(10_000),
  REQUEST_TIMEOUT_MS: positiveInt(60_000),
  HEADERS_TIMEOUT_MS: positiveInt(20_000),
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ""),
    ),
  RATE_LIMIT_PER_MINUTE: positiveInt(120),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
  SHUTDOWN_TIMEOUT_MS: positiveInt(20_000),
};

const apiSchema = z
  .object(apiShape)
  .refine((env) => env.PG_POOL_MIN <= env.PG_POOL_MAX, {
    path: ["PG_POOL_MIN"],
    message: "must not exceed PG_POOL_MAX",
  })
  .refine((env) => env.HEADERS_TIMEOUT_MS <= env.REQUEST_TIMEOUT_MS, {
    path: ["HEADERS_TIMEOUT_MS"],
    message: "must not exceed REQUEST_TIMEOUT_MS",
  });

export type Config = z.output<typeof apiSchema>;
export type PostgresConfig = z.output<z.ZodObject<typeof postgresShape>>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function parse<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  // An empty variable means "not set" (and must not coerce to 0).
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join(".") || "(environment)";
    const missing = issue.code === "invalid_type" && present[variable] === undefined;
    return `  ${variable}: ${missing ? "is required" : issue.message}`;
  });
  throw new ConfigError(`Invalid environment:\n${problems.join("\n")}`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parse(apiSchema, env);
}

export function loadPostgresConfig(env: NodeJS.ProcessEnv = process.env): PostgresConfig {
  return parse(z.object(postgresShape), env);
}
