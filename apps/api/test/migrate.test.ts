import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { migrate, MIGRATION_LOCK_KEY, MIGRATIONS_DIR, readMigrations, type Migration } from "../src/migrate.js";
import { runScript } from "./support/process.js";
import { freshDatabase, type Database } from "./support/services.js";

function pgEnv(db: Database): Record<string, string> {
  return { PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGPASSWORD: db.password, PGDATABASE: db.database };
}

async function query<T extends pg.QueryResultRow>(db: Database, text: string): Promise<T[]> {
  const client = new pg.Client(db);
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function withClient<T>(db: Database, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(db);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe("migrations (node dist/migrate.js)", () => {
  it("applies every migration once, records it, and is a no-op the second time", async () => {
    const db = await freshDatabase({ migrated: false });
    const migrations = await readMigrations(MIGRATIONS_DIR);
    const first = await runScript("migrate.js", pgEnv(db));
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /applied 001_create_analyses/);
    assert.match(first.output, new RegExp(`migrations: ${migrations.length} applied, 0 already up to date`));

    const second = await runScript("migrate.js", pgEnv(db));
    assert.equal(second.code, 0, second.output);
    assert.match(second.output, new RegExp(`migrations: 0 applied, ${migrations.length} already up to date`));

    const recorded = await query<{ version: string; name: string; checksum: string }>(db, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    assert.deepEqual(
      recorded,
      migrations.map(({ version, name, checksum }) => ({ version, name, checksum })),
    );
    const columns = await query<{ column_name: string }>(
      db,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'analyses' ORDER BY ordinal_position",
    );
    assert.deepEqual(
      columns.map((column) => column.column_name),
      ["id", "filename", "content_type", "size_bytes", "created_at", "result"],
    );
  });

  it("is safe when several run at once: the advisory lock makes them queue", async () => {
    const db = await freshDatabase({ migrated: false });
    const holder = new pg.Client(db);
    await holder.connect();
    try {
      // Hold the migrators' lock so all of them are provably waiting at the same time.
      await holder.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      const runs = Promise.all(Array.from({ length: 3 }, () => runScript("migrate.js", pgEnv(db))));
      const waiting = async (): Promise<number> =>
        Number(
          (await holder.query<{ count: string }>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0]
            ?.count,
        );
      const deadline = Date.now() + 10_000;
      while ((await waiting()) < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await waiting(), 3, "all three migrators wait for the lock");
      await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);

      const results = await runs;
      for (const run of results) assert.equal(run.code, 0, run.output);
      const appliers = results.filter((run) => run.output.includes("applied 001_create_analyses"));
      assert.equal(appliers.length, 1, results.map((run) => run.output).join("\n---\n"));
      const recorded = await holder.query<{ count: string }>("SELECT count(*) FROM schema_migrations");
      assert.equal(Number(recorded.rows[0]?.count), (await readMigrations(MIGRATIONS_DIR)).length);
    } finally {
      await holder.end();
    }
  });

  it("rolls a failing migration back whole and does not record it", async () => {
    const db = await freshDatabase({ migrated: false });
    const good: Migration = { version: "001", name: "good", sql: "CREATE TABLE a (x int);", checksum: "c1" };
    const bad: Migration = { version: "002", name: "bad", sql: "CREATE TABLE b (x int); SELECT * FROM missing_table;", checksum: "c2" };
    await assert.rejects(
      withClient(db, (client) => migrate(client, [good, bad], () => undefined)),
      /migration 002_bad failed: relation "missing_table" does not exist/,
    );
    const tables = await query<{ tablename: string }>(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    assert.deepEqual(tables.map((table) => table.tablename), ["a", "schema_migrations"]);
    const recorded = await query<{ version: string }>(db, "SELECT version FROM schema_migrations");
    assert.deepEqual(recorded, [{ version: "001" }]);
    // The lock was released: a later run proceeds.
    const fixed: Migration = { ...bad, sql: "CREATE TABLE b (x int);", checksum: "c3" };
    const applied = await withClient(db, (client) => migrate(client, [good, fixed], () => undefined));
    assert.deepEqual(applied, ["002_bad"]);
  });

  it("refuses to go on when an applied migration's file has changed", async () => {
    const db = await freshDatabase({ migrated: false });
    const original: Migration = { version: "001", name: "t", sql: "CREATE TABLE t (x int);", checksum: "one" };
    await withClient(db, (client) => migrate(client, [original], () => undefined));
    await assert.rejects(
      withClient(db, (client) => migrate(client, [{ ...original, checksum: "two" }], () => undefined)),
      /migration 001_t was changed after it was applied/,
    );
  });

  it("reads only NNN_name.sql files, in order, and rejects other names and duplicate versions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nsip-migrations-"));
    try {
      writeFileSync(join(dir, "002_second.sql"), "SELECT 2;");
      writeFileSync(join(dir, "001_first.sql"), "SELECT 1;");
      writeFileSync(join(dir, "README.txt"), "not a migration");
      assert.deepEqual((await readMigrations(dir)).map((migration) => `${migration.version}_${migration.name}`), ["001_first", "002_second"]);
      writeFileSync(join(dir, "002_again.sql"), "SELECT 3;");
      await assert.rejects(readMigrations(dir), /two migrations share version 002/);
      rmSync(join(dir, "002_again.sql"));
      writeFileSync(join(dir, "3_bad.sql"), "SELECT 3;");
      await assert.rejects(readMigrations(dir), /3_bad.sql is not NNN_name.sql/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
