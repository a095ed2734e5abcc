import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ConfigError, loadPostgresConfig } from "./config.js";

/** Arbitrary but fixed: every migrator of this database takes the same session-level advisory lock. */
export const MIGRATION_LOCK_KEY = 727_461_160_001;
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations/", import.meta.url));

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith(".sql")).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`migration file name ${file} is not NNN_name.sql`);
    const sql = await readFile(`${dir}/${file}`, "utf8");
    migrations.push({ version: match[1]!, name: match[2]!, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  const versions = migrations.map((migration) => migration.version);
  const duplicate = versions.find((version, index) => versions.indexOf(version) !== index);
  if (duplicate) throw new Error(`two migrations share version ${duplicate}`);
  return migrations;
}

/**
 * Applies, in order, the migrations not yet recorded in schema_migrations, each in its own
 * transaction. Holding an advisory lock makes concurrent runs queue up: the later one finds
 * everything applied. A recorded migration whose file changed since is an error, not a silent skip.
 */
export async function migrate(client: pg.Client, migrations: Migration[], log: (line: string) => void): Promise<string[]> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    text        PRIMARY KEY,
      name       text        NOT NULL,
      checksum   text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: string; checksum: string }>("SELECT version, checksum FROM schema_migrations");
    const applied = new Map(rows.map((row) => [row.version, row.checksum]));
    const newlyApplied: string[] = [];
    for (const migration of migrations) {
      const label = `${migration.version}_${migration.name}`;
      const recorded = applied.get(migration.version);
      if (recorded !== undefined) {
        if (recorded !== migration.checksum) throw new Error(`migration ${label} was changed after it was applied`);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${label} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      log(`applied ${label}`);
      newlyApplied.push(label);
    }
    return newlyApplied;
  } finally {
    // If this fails the connection is gone, and the lock went with the session.
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const config = loadPostgresConfig();
  const client = new pg.Client({
    host: config.PGHOST,
    port: config.PGPORT,
    user: config.PGUSER,
    password: config.PGPASSWORD,
    database: config.PGDATABASE,
    application_name: "nsip-api-migrate",
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    const applied = await migrate(client, migrations, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`migrations: ${applied.length} applied, ${migrations.length - applied.length} already up to date\n`);
  } finally {
    await client.end();
  }
}

// Runs only as the entry point (`node dist/migrate.js`), not when tests import it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`nsip-api migrate: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
