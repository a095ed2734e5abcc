import { strict as assert } from "assert";
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PVC_LIST_SCRIPT } from "../../tools/ops/backups";
import { PostgresInstance, startPostgres } from "../../tools/testenv";
import { migrateWithApi, pgEnv, psql, run, SCRIPTS, snapshot, startDetached, tempDir, writeAnalyses } from "./support";

const backupScript = join(SCRIPTS, "pg-backup.sh");
const restoreScript = join(SCRIPTS, "pg-restore.sh");

interface Manifest {
    name: string;
    createdAt: string;
    database: string;
    sizeBytes: number;
    sha256: string;
    tables: Record<string, number>;
}

const backupsIn = (dir: string) => readdirSync(dir).filter((file) => file.endsWith(".json")).map((file) => file.replace(/\.json$/, "")).sort();
const readManifest = (dir: string, name: string): Manifest => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));

/** The PostgreSQL backup and restore scripts the CronJob and the restore Job run, against real PostgreSQL. */
describe("pg-backup.sh and pg-restore.sh against real PostgreSQL", function () {
    let pg: PostgresInstance;
    let env: NodeJS.ProcessEnv;

    const backup = async (dir: string, extra: NodeJS.ProcessEnv = {}): Promise<string> => {
        const result = await run(backupScript, [], { ...env, BACKUP_DIR: dir, ...extra });
        assert.equal(result.code, 0, `pg-backup.sh failed:\n${result.stderr}`);
        return JSON.parse(result.stdout.trim().split("\n").pop() as string).backup as string;
    };
    const restore = (dir: string, name: string, safetyDir: string, extra: NodeJS.ProcessEnv = {}) =>
        run(restoreScript, ["restore", dir, name], { ...env, SAFETY_DIR: safetyDir, ...extra });

    before(async function () {
        pg = await startPostgres();
        env = pgEnv(pg);
        await migrateWithApi(pg);
        await writeAnalyses(pg, 2000);
    });
    after(async () => pg?.stop());

    it("writes a dump and a manifest whose rows per table are read back from the dump itself", async () => {
        const dir = tempDir("backup");
        const name = await backup(dir);
        assert.match(name, /^\d{8}T\d{6}Z$/);
        const manifest = readManifest(dir, name);
        assert.deepEqual(manifest.tables, { "public.analyses": 2003, "public.schema_migrations": 1 });
        assert.equal(manifest.database, pg.database);
        assert.equal(manifest.sizeBytes, statSync(join(dir, `${name}.dump`)).size);
        assert.equal(manifest.createdAt, `${name.slice(0, 4)}-${name.slice(4, 6)}-${name.slice(6, 8)}T${name.slice(9, 11)}:${name.slice(11, 13)}:${name.slice(13, 15)}Z`);
        assert.deepEqual(readdirSync(dir).sort(), [`${name}.dump`, `${name}.json`], "no partial files are left behind");
    });

    it("brings back identical rows after damage, keeps a safety dump of the damaged state, and the api's migrations find nothing to do", async () => {
        const before = await snapshot(pg);
        const dir = tempDir("backup");
        const safety = tempDir("safety");
        const name = await backup(dir);

        await psql(
            pg,
            `DELETE FROM analyses WHERE size_bytes % 3 = 0;
             UPDATE analyses SET result = '{"damaged": true}', filename = 'overwritten.png' WHERE size_bytes % 5 = 0;
             DROP INDEX analyses_created_at_id_idx;
             CREATE TABLE stray (id int); INSERT INTO stray VALUES (1);`,
        );
        const damagedCount = Number(await psql(pg, "SELECT count(*) FROM analyses"));
        assert.notEqual(await snapshot(pg), before);

        const result = await restore(dir, name, safety);
        assert.equal(result.code, 0, result.stderr);
        const [safetyName] = backupsIn(safety);
        assert.ok(safetyName, "a safety dump was kept");
        assert.deepEqual(JSON.parse(result.stdout.trim()), { restored: name, safetyDump: safetyName, tables: { "public.analyses": 2003, "public.schema_migrations": 1 } });
        assert.match(result.stderr, new RegExp(`safety dump ${safetyName} taken`));
        assert.equal(await snapshot(pg), before, "every row, index and table is as it was at backup time; the stray table is gone");

        assert.equal(readManifest(safety, safetyName).tables["public.analyses"], damagedCount, "the safety dump holds the state the restore replaced");
        assert.equal(readManifest(safety, safetyName).tables["public.stray"], 1);
        assert.equal((await run(restoreScript, ["verify", safety, safetyName], env)).code, 0, "the safety dump itself is a verified backup");

        assert.match(await migrateWithApi(pg), /0 applied, 1 already up to date/);
    });

    it("reports what a restore would replace: database size and rows per table", async () => {
        const result = await run(restoreScript, ["facts"], env);
        assert.equal(result.code, 0, result.stderr);
        const facts = JSON.parse(result.stdout);
        assert.equal(facts.database, pg.database);
        assert.ok(facts.sizeBytes > 1_000_000, `database size ${facts.sizeBytes}`);
        assert.deepEqual(facts.tables, { "public.analyses": 2003, "public.schema_migrations": 1 });
    });

    describe("refuses a bad backup before the database is touched", () => {
        let dir: string;
        let name: string;
        let before: string;
        beforeEach(async () => {
            dir = tempDir("backup");
            name = await backup(dir);
            before = await snapshot(pg);
            await psql(pg, "INSERT INTO analyses (id, filename, content_type, size_bytes, result) VALUES (gen_random_uuid(), 'after-backup.png', 'image/png', 7, '{}')");
            before = await snapshot(pg);
        });
        afterEach(async () => psql(pg, "DELETE FROM analyses WHERE filename = 'after-backup.png'"));

        const expectRefused = async (backupName: string, message: RegExp) => {
            const safety = tempDir("safety");
            const result = await restore(dir, backupName, safety);
            assert.equal(result.code, 3, `expected exit 3 (refused), got ${result.code}:\n${result.stderr}`);
            assert.match(result.stderr, message);
            assert.equal(await snapshot(pg), before, "the database is untouched");
            assert.deepEqual(readdirSync(safety), [], "not even a safety dump was taken");
        };

        it("a missing backup", () => expectRefused("20200101T000000Z", /refused: backup 20200101T000000Z not found/));

        it("an unfinished backup (a dump without its manifest)", async () => {
            writeFileSync(join(dir, "20200101T000000Z.dump"), readFileSync(join(dir, `${name}.dump`)));
            await expectRefused("20200101T000000Z", /has no manifest/);
        });

        it("a truncated dump", async () => {
            const file = join(dir, `${name}.dump`);
            truncateSync(file, Math.floor(statSync(file).size / 2));
            await expectRefused(name, /truncated/);
        });

        it("a corrupt dump", async () => {
            const file = join(dir, `${name}.dump`);
            const bytes = readFileSync(file);
            for (let i = Math.floor(bytes.length / 2); i < bytes.length / 2 + 64; i++) bytes[i] ^= 0xff;
            writeFileSync(file, bytes);
            await expectRefused(name, /does not match its sha256/);
        });

        it("a corrupt dump whose manifest was rewritten to match it: its data does not read back", async () => {
            const file = join(dir, `${name}.dump`);
            const bytes = readFileSync(file);
            for (let i = Math.floor(bytes.length / 2); i < bytes.length / 2 + 64; i++) bytes[i] ^= 0xff;
            writeFileSync(file, bytes);
            const manifest = readManifest(dir, name);
            const sum = (await run("sha256sum", [file], {})).stdout.split(" ")[0];
            writeFileSync(join(dir, `${name}.json`), readFileSync(join(dir, `${name}.json`), "utf8").replace(manifest.sha256, sum));
            await expectRefused(name, /cannot be read back completely|differ from its manifest/);
        });
    });

    it("a restore killed midway leaves the database as it was", async () => {
        const dir = tempDir("backup");
        const name = await backup(dir);
        await psql(pg, "UPDATE analyses SET filename = 'changed-after-backup.png' WHERE size_bytes % 2 = 0");
        const before = await snapshot(pg);

        // A reader holding a lock stalls the restore inside its transaction, after its safety dump: a certain midpoint.
        const holder = holdLock(env);
        try {
            await waitForSql(pg, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'analyses' AND l.mode = 'AccessShareLock' AND l.granted", "1");
            const restoring = startDetached(restoreScript, ["restore", dir, name], { ...env, SAFETY_DIR: tempDir("safety"), RESTORE_LOCK_TIMEOUT: "10min", PGAPPNAME: "nsip-restore" });
            await waitForSql(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'nsip-restore' AND wait_event_type = 'Lock' AND xact_start IS NOT NULL", "1");
            process.kill(-(restoring.child.pid as number), "SIGKILL");
            const result = await restoring.exited;
            assert.equal(result.signal, "SIGKILL");
        } finally {
            await holder.release();
        }
        // Granted the lock, the orphaned restore backend finds its client gone and rolls the transaction back.
        await waitForSql(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('nsip-restore', 'nsip-lock-holder')", "0");
        assert.equal(await snapshot(pg), before);
    });

    it("a restore that fails midway is rolled back and says so", async () => {
        const dir = tempDir("backup");
        const name = await backup(dir);
        await psql(pg, "UPDATE analyses SET filename = 'changed-again.png' WHERE size_bytes % 7 = 0");
        const before = await snapshot(pg);
        const holder = holdLock(env);
        try {
            await waitForSql(pg, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'analyses' AND l.mode = 'AccessShareLock' AND l.granted", "1");
            const result = await restore(dir, name, tempDir("safety"), { RESTORE_LOCK_TIMEOUT: "1s" });
            assert.equal(result.code, 5, result.stderr);
            assert.match(result.stderr, /failed and was rolled back: the database is as it was/);
        } finally {
            await holder.release();
        }
        assert.equal(await snapshot(pg), before);
    });

    describe("pg-restore-job.sh, the restore Job's entry point", () => {
        const jobScript = join(SCRIPTS, "pg-restore-job.sh");
        const runJob = (mode: string, source: string, extra: NodeJS.ProcessEnv = {}) => {
            const result = join(tempDir("termination"), "message");
            return run(jobScript, [], { ...env, RESTORE_MODE: mode, BACKUP_SOURCE_DIR: source, SAFETY_DIR: tempDir("safety"), RESULT_FILE: result, ...extra }).then((r) => ({
                ...r,
                message: existsSync(result) ? readFileSync(result, "utf8") : undefined,
            }));
        };

        it("plan: verifies the newest backup and reports it with the database it would replace, as one JSON termination message", async () => {
            const dir = tempDir("backup");
            const older = await backup(dir);
            await new Promise((resolve) => setTimeout(resolve, 1100)); // backup names have one-second resolution
            const newest = await backup(dir);
            assert.notEqual(older, newest);
            const result = await runJob("plan", dir, { RESTORE_FROM: "latest" });
            assert.equal(result.code, 0, result.stderr);
            assert.ok(result.message && !result.message.includes("\n"), "one line");
            const plan = JSON.parse(result.message);
            assert.deepEqual(plan, JSON.parse(result.stdout));
            assert.equal(plan.backup.name, newest);
            assert.deepEqual(plan.backup.tables, readManifest(dir, newest).tables);
            assert.equal(plan.current.database, pg.database);
            assert.deepEqual(plan.current.tables, { "public.analyses": 2003, "public.schema_migrations": 1 });
            assert.ok(Buffer.byteLength(result.message) < 4096, "fits the kubelet's termination message limit");
        });

        it("plan: a corrupt backup is refused with exit 3 and the reason on the log's last ERROR line, nothing reported", async () => {
            const dir = tempDir("backup");
            const name = await backup(dir);
            const dump = join(dir, `${name}.dump`);
            const bytes = readFileSync(dump);
            bytes[bytes.length - 10] ^= 0xff;
            writeFileSync(dump, bytes);
            const result = await runJob("plan", dir, { RESTORE_FROM: name });
            assert.equal(result.code, 3);
            assert.match(result.stderr, /ERROR: refused: .*does not match its sha256 \(corrupt\)/);
            assert.equal(result.message, undefined, "no result: the kubelet falls back to the log tail");
        });

        it("plan: an empty backup store and a malformed name are refused", async () => {
            const empty = await runJob("plan", tempDir("backup"), { RESTORE_FROM: "latest" });
            assert.equal(empty.code, 3);
            assert.match(empty.stderr, /refused: there is no complete backup/);
            const malformed = await runJob("plan", tempDir("backup"), { RESTORE_FROM: "../etc" });
            assert.equal(malformed.code, 2);
            assert.match(malformed.stderr, /RESTORE_FROM must be a backup name/);
        });

        it("restore, then facts: the restored rows, as ops reads them", async () => {
            const dir = tempDir("backup");
            const name = await backup(dir);
            await psql(pg, "INSERT INTO analyses (id, filename, content_type, size_bytes, result) VALUES (gen_random_uuid(), 'after-backup.png', 'image/png', 7, '{}')");
            const safety = tempDir("safety");
            const restored = await runJob("restore", dir, { RESTORE_FROM: name, SAFETY_DIR: safety });
            assert.equal(restored.code, 0, restored.stderr);
            assert.deepEqual(JSON.parse(restored.message!), { restored: name, safetyDump: backupsIn(safety)[0], tables: { "public.analyses": 2003, "public.schema_migrations": 1 } });
            const facts = await runJob("facts", dir);
            assert.equal(facts.code, 0, facts.stderr);
            assert.deepEqual(JSON.parse(facts.message!).tables, { "public.analyses": 2003, "public.schema_migrations": 1 });
        });

        it("RESTORE_SOURCE=safety undoes a restore: the safety dump it took comes back, itself kept as a new safety dump", async () => {
            const dir = tempDir("backup");
            const safety = tempDir("safety");
            const name = await backup(dir);
            await psql(pg, "INSERT INTO analyses (id, filename, content_type, size_bytes, result) VALUES (gen_random_uuid(), 'written-after-backup.png', 'image/png', 9, '{}')");
            const replaced = await snapshot(pg);
            const restored = await runJob("restore", dir, { RESTORE_FROM: name, SAFETY_DIR: safety });
            assert.equal(restored.code, 0, restored.stderr);
            const undo = JSON.parse(restored.message!).safetyDump as string;
            assert.notEqual(await snapshot(pg), replaced);

            await new Promise((resolve) => setTimeout(resolve, 1100)); // the next safety dump needs a name of its own
            const plan = await runJob("plan", tempDir("unused"), { RESTORE_SOURCE: "safety", RESTORE_FROM: "latest", SAFETY_DIR: safety });
            assert.equal(plan.code, 0, plan.stderr);
            assert.equal(JSON.parse(plan.message!).backup.name, undo, "latest is the newest safety dump");
            assert.equal(JSON.parse(plan.message!).backup.tables["public.analyses"], 2004);
            const undone = await runJob("restore", tempDir("unused"), { RESTORE_SOURCE: "safety", RESTORE_FROM: undo, SAFETY_DIR: safety });
            assert.equal(undone.code, 0, undone.stderr);
            assert.equal(await snapshot(pg), replaced, "the database is as it was before the first restore");
            const second = JSON.parse(undone.message!).safetyDump as string;
            assert.deepEqual(backupsIn(safety), [undo, second].sort(), "both safety dumps are kept");
            assert.equal(readManifest(safety, second).tables["public.analyses"], 2003, "the new safety dump holds what the undo replaced");
            await psql(pg, "DELETE FROM analyses WHERE filename = 'written-after-backup.png'");
        });

        it("list: one JSON line per complete backup of the chosen source, as the PVC lister prints them", async () => {
            const dir = tempDir("backup");
            const first = await backup(dir);
            await new Promise((resolve) => setTimeout(resolve, 1100));
            const second = await backup(dir);
            writeFileSync(join(dir, "20200101T000000Z.dump"), "an unfinished backup has no manifest");
            const listed = await runJob("list", dir);
            assert.equal(listed.code, 0, listed.stderr);
            assert.equal(listed.message, undefined, "no termination message: a long list would not fit");
            const lines = listed.stdout.trim().split("\n").map((line) => JSON.parse(line));
            assert.deepEqual(lines, [first, second].map((name) => ({ name, sizeBytes: readManifest(dir, name).sizeBytes, createdAt: readManifest(dir, name).createdAt })));
            const pvcLister = await run("sh", ["-c", PVC_LIST_SCRIPT.replace("/scripts/", `${SCRIPTS}/`)], { BACKUP_DIR: dir });
            assert.equal(pvcLister.stdout, listed.stdout, "ops backups on a PVC target lists the same way");

            const safety = await runJob("list", tempDir("unused"), { RESTORE_SOURCE: "safety", SAFETY_DIR: dir });
            assert.equal(safety.stdout, listed.stdout, "RESTORE_SOURCE=safety lists SAFETY_DIR");
            assert.equal((await runJob("list", tempDir("empty"))).stdout, "", "an empty source lists nothing");
        });

        it("an unknown RESTORE_SOURCE or RESTORE_MODE is a usage error (exit 2) naming the variable", async () => {
            const source = await runJob("plan", tempDir("backup"), { RESTORE_SOURCE: "s3", RESTORE_FROM: "latest" });
            assert.equal(source.code, 2);
            assert.match(source.stderr, /RESTORE_SOURCE must be backups or safety, not 's3'/);
            const mode = await runJob("undo", tempDir("backup"));
            assert.equal(mode.code, 2);
            assert.match(mode.stderr, /RESTORE_MODE must be plan, restore, facts or list, not 'undo'/);
        });
    });

    describe("retention", () => {
        const stampDaysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");

        it("deletes backups older than RETENTION_DAYS and unfinished leftovers, keeps the rest", async () => {
            const dir = tempDir("backup");
            const old = [stampDaysAgo(40), stampDaysAgo(8)];
            const young = [stampDaysAgo(6), stampDaysAgo(1)];
            for (const stamp of [...old, ...young]) await backup(dir, { BACKUP_NAME: stamp });
            writeFileSync(join(dir, `.${stampDaysAgo(9)}.partial`), "left by a killed run");
            const latest = await backup(dir, { RETENTION_DAYS: "7" });
            assert.deepEqual(backupsIn(dir), [...young, latest].sort());
            assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".dump")).length, 3);
            assert.ok(!readdirSync(dir).some((f) => f.endsWith(".partial")));
        });

        it("never deletes the newest backup, however old", async () => {
            const dir = tempDir("backup");
            const names = [stampDaysAgo(50), stampDaysAgo(45)];
            await backup(dir, { BACKUP_NAME: names[0] });
            await backup(dir, { BACKUP_NAME: names[1], RETENTION_DAYS: "7" });
            assert.deepEqual(backupsIn(dir), [names[1]]);
            assert.ok(existsSync(join(dir, `${names[1]}.dump`)));
        });
    });
});

/** A long reader holding a lock on analyses: the restore's DROP waits for it inside its open transaction. */
function holdLock(env: NodeJS.ProcessEnv): { release(): Promise<void> } {
    const holder = startDetached("psql", ["-X", "-q", "-c", "BEGIN; LOCK TABLE analyses IN ACCESS SHARE MODE; SELECT pg_sleep(600);"], { ...env, PGAPPNAME: "nsip-lock-holder" });
    return {
        async release() {
            process.kill(-(holder.child.pid as number), "SIGKILL");
            await holder.exited;
            // A backend asleep in pg_sleep does not notice its client is gone: end it like an operator would.
            await run("psql", ["-X", "-q", "-c", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nsip-lock-holder'"], env);
        },
    };
}

async function waitForSql(pg: PostgresInstance, sql: string, expected: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    let last = "";
    while (Date.now() < deadline) {
        last = await psql(pg, sql);
        if (last === expected) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`waited 60 s for ${sql} to return ${expected}, last ${last}`);
}
