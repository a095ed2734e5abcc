import pg from "pg";
import type { Analysis, AnalyzerResult, ListPosition } from "./analysis.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

export function createPool(config: Config, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    host: config.PGHOST,
    port: config.PGPORT,
    user: config.PGUSER,
    password: config.PGPASSWORD,
    database: config.PGDATABASE,
    min: config.PG_POOL_MIN,
    max: config.PG_POOL_MAX,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 15_000,
    application_name: "nsip-api",
  });
  // An idle client losing its connection emits here; without a listener the process would crash.
  pool.on("error", (error) => logger.warn({ err: error }, "idle PostgreSQL client failed"));
  return pool;
}

/** Opens PG_POOL_MIN connections up front (pg creates them lazily; `min` only stops them being reaped). */
export async function warmPool(pool: pg.Pool, count: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  for (const client of clients) client.release();
}

interface AnalysisRow {
  id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  created_at: Date;
  result: AnalyzerResult;
}

const COLUMNS = "id, filename, content_type, size_bytes, created_at, result";

function toAnalysis(row: AnalysisRow): Analysis {
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.content_type,
    sizeBytes: row.size_bytes,
    createdAt: row.created_at.toISOString(),
    result: row.result,
  };
}

export class AnalysisStore {
  constructor(private readonly pool: pg.Pool) {}

  async insert(analysis: Omit<Analysis, "createdAt">): Promise<Analysis> {
    const { rows } = await this.pool.query<AnalysisRow>(
      `INSERT INTO analyses (id, filename, content_type, size_bytes, result)
       VALUES ($1, $2, $3, $4, $5)
       RETURNING ${COLUMNS}`,
      [analysis.id, analysis.filename, analysis.contentType, analysis.sizeBytes, JSON.stringify(analysis.result)],
    );
    return toAnalysis(rows[0]!);
  }

  async findById(id: string): Promise<Analysis | undefined> {
    const { rows } = await this.pool.query<AnalysisRow>(`SELECT ${COLUMNS} FROM analyses WHERE id = $1`, [id]);
    return rows[0] && toAnalysis(rows[0]);
  }

  /** Newest first; `after` continues from the last item of the previous page. */
  async list(limit: number, after?: ListPosition): Promise<Analysis[]> {
    const { rows } = after
      ? await this.pool.query<AnalysisRow>(
          `SELECT ${COLUMNS} FROM analyses
           WHERE (created_at, id) < ($1::timestamptz, $2::uuid)
           ORDER BY created_at DESC, id DESC LIMIT $3`,
          [after.createdAt, after.id, limit],
        )
      : await this.pool.query<AnalysisRow>(
          `SELECT ${COLUMNS} FROM analyses ORDER BY created_at DESC, id DESC LIMIT $1`,
          [limit],
        );
    return rows.map(toAnalysis);
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }
}
