import { ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { PostgresInstance } from "../../tools/testenv";

export const SCRIPTS = resolve(__dirname, "../../components/services/postgres/scripts");
const REPO = resolve(__dirname, "../..");

export interface RunResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/** libpq's variables for a test PostgreSQL, as the Jobs get them from the postgres Secret. */
export function pgEnv(pg: PostgresInstance): NodeJS.ProcessEnv {
    return { PGHOST: pg.host, PGPORT: String(pg.port), PGUSER: pg.user, PGPASSWORD: pg.password, PGDATABASE: pg.database };
}

/** Runs a script (or any command) to completion, never throwing on a non-zero exit. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
    return new Promise((done) => {
        const child = execFile(command, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
            done({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
        });
        if (input !== undefined) child.stdin?.end(input);
    });
}

/** A script in its own process group, so a test can kill it and every child (pg_restore, psql) at once. */
export function startDetached(command: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<RunResult> } {
    const child = spawn(command, args, { env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<RunResult>((done) => child.on("exit", (code, signal) => done({ code, signal, stdout, stderr })));
    return { child, exited };
}

export async function psql(pg: PostgresInstance, sql: string): Promise<string> {
    const result = await run("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-q", "-c", sql], pgEnv(pg));
    if (result.code !== 0) throw new Error(`psql failed (${result.code}): ${result.stderr}`);
    return result.stdout.trim();
}

/** The api's own migrator (apps/api/src/migrate.ts), exactly what the migration Job runs from the api image. */
export async function migrateWithApi(pg: PostgresInstance): Promise<string> {
    const result = await run(join(REPO, "node_modules/.bin/tsx"), [join(REPO, "apps/api/src/migrate.ts")], pgEnv(pg));
    if (result.code !== 0) throw new Error(`api migrate failed (${result.code}): ${result.stdout}${result.stderr}`);
    return result.stdout;
}

/**
 * Analyses as the api stores them, with the values most likely to break a dump: quotes, tabs, newlines,
 * backslashes and non-ASCII text in filenames and JSON, plus bulk rows so the data spans many blocks.
 */
export async function writeAnalyses(pg: PostgresInstance, bulkRows: number): Promise<void> {
    await psql(
        pg,
        `INSERT INTO analyses (id, filename, content_type, size_bytes, created_at, result) VALUES
          ('00000000-0000-4000-8000-000000000001', E'tab\\there "quoted" \\\\back.png', 'image/png', 1, '2026-01-01T00:00:00.123Z', '{"ratio": 0.5, "note": "line\\nbreak"}'),
          ('00000000-0000-4000-8000-000000000002', 'négatif-空間.jpg', 'image/jpeg', 2147483647, '2026-06-30T23:59:59.999Z', '{"regions": [], "unicode": "✓"}'),
          ('00000000-0000-4000-8000-000000000003', E'new\\nline.png', 'image/png', 42, '2026-12-01T12:00:00Z', '{"nested": {"deep": [1, 2.5, null, true]}}');
         INSERT INTO analyses (id, filename, content_type, size_bytes, created_at, result)
         SELECT md5('row' || i)::uuid, 'image-' || i || '.png', 'image/png', 1000 + i,
                timestamptz '2026-11-01' + i * interval '1 second',
                jsonb_build_object('negativeSpaceRatio', (i % 1000) / 1000.0, 'width', 640 + i % 7, 'regions', jsonb_build_array(i, i * 2))
         FROM generate_series(1, ${bulkRows}) AS i;`,
    );
}

/** Every row of every api table in a canonical order, as text: equal strings mean identical data. */
export function snapshot(pg: PostgresInstance): Promise<string> {
    return psql(
        pg,
        `SELECT json_build_object(
            'analyses', (SELECT json_agg(a ORDER BY a.id) FROM analyses a),
            'schema_migrations', (SELECT json_agg(m ORDER BY m.version) FROM schema_migrations m),
            'indexes', (SELECT json_agg(indexdef ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'),
            'tables', (SELECT json_agg(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'))`,
    );
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `nsip-${prefix}-`));
