import { strict as assert } from "assert";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, PostgresInstance, startPostgres } from "../../tools/testenv";
import { migrateWithApi, pgEnv, psql, run, SCRIPTS, snapshot, tempDir, writeAnalyses } from "./support";

const REPO = resolve(__dirname, "../..");
const BUCKET = "nsip-backups";
const PREFIX = "postgres/";
type KeyPair = { accessKeyId: string; secretAccessKey: string };

/**
 * The S3 side of the backups against a real S3 API: moto's server mode with IAM policies enforced, driven by
 * the same AWS CLI commands the CronJob's upload container runs (s3-backup.sh). The reader key pair is what
 * the restore Job gets: it may list and read, never write or delete.
 */
describe("s3-backup.sh against a real S3 API (moto server, IAM enforced)", function () {
    let pg: PostgresInstance;
    let moto: ChildProcess;
    let bin: string;
    let endpoint: string;
    let keys: { writer: KeyPair; reader: KeyPair; admin: KeyPair };

    const s3 = (as: KeyPair, args: string[], extra: NodeJS.ProcessEnv = {}) =>
        run(join(SCRIPTS, "s3-backup.sh"), args, {
            PATH: `${bin}:${process.env.PATH}`,
            AWS_ENDPOINT_URL: endpoint,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: as.accessKeyId,
            AWS_SECRET_ACCESS_KEY: as.secretAccessKey,
            BUCKET,
            PREFIX,
            ...extra,
        });
    const list = async (as: KeyPair): Promise<{ name: string; sizeBytes: number; lastModified: string }[]> => {
        const result = await s3(as, ["list"]);
        assert.equal(result.code, 0, result.stderr);
        return result.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
    };
    const backupInto = async (dir: string, name?: string) => {
        const result = await run(join(SCRIPTS, "pg-backup.sh"), [], { ...pgEnv(pg), BACKUP_DIR: dir, ...(name ? { BACKUP_NAME: name } : {}) });
        assert.equal(result.code, 0, result.stderr);
        return JSON.parse(result.stdout.trim()).backup as string;
    };
    const stampDaysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");

    before(async function () {
        this.timeout(900_000); // a cold venv is built once per machine (about 4 minutes), then cached
        bin = execFileSync("bash", [join(REPO, "tools/s3/venv.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
        [pg] = await Promise.all([startPostgres(), startMoto()]);
        await migrateWithApi(pg);
        await writeAnalyses(pg, 500);
        const setup = execFileSync(join(bin, "python"), [join(REPO, "tools/s3/setup-iam.py"), endpoint, BUCKET, PREFIX], { encoding: "utf8" });
        keys = JSON.parse(setup);
    });
    after(async () => {
        moto?.kill("SIGTERM");
        await pg?.stop();
    });

    async function startMoto(): Promise<void> {
        for (let attempt = 0; attempt < 5; attempt++) {
            const port = await freePort();
            endpoint = `http://127.0.0.1:${port}`;
            moto = spawn(join(bin, "moto_server"), ["-H", "127.0.0.1", "-p", String(port)], {
                env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: "3" },
                stdio: "ignore",
            });
            const deadline = Date.now() + 60_000;
            while (Date.now() < deadline && moto.exitCode === null) {
                const up = await fetch(`${endpoint}/moto-api/`).then(() => true, () => false);
                if (up) return;
                await new Promise((r) => setTimeout(r, 250));
            }
            moto.kill("SIGKILL");
        }
        throw new Error("moto_server did not start");
    }

    it("uploads a backup (dump, then manifest) with the writer's keys; the reader lists it with its size", async () => {
        const dir = tempDir("s3-up");
        const name = await backupInto(dir);
        const result = await s3(keys.writer, ["upload", dir]);
        assert.equal(result.code, 0, result.stderr);
        const listed = await list(keys.reader);
        const entry = listed.find((b) => b.name === name);
        assert.ok(entry, `${name} is listed: ${JSON.stringify(listed)}`);
        assert.equal(entry.sizeBytes, statSync(join(dir, `${name}.dump`)).size);
    });

    it("downloads the latest backup with the reader's keys, and it restores to identical rows", async () => {
        const before = await snapshot(pg);
        const dir = tempDir("s3-src");
        await backupInto(dir);
        assert.equal((await s3(keys.writer, ["upload", dir])).code, 0);
        await psql(pg, "DELETE FROM analyses WHERE size_bytes % 2 = 0");

        const fetched = tempDir("s3-fetch");
        const result = await s3(keys.reader, ["fetch", "latest", fetched]);
        assert.equal(result.code, 0, result.stderr);
        const name = result.stdout.trim();
        assert.deepEqual(readdirSync(fetched).sort(), [`${name}.dump`, `${name}.json`]);
        const restored = await run(join(SCRIPTS, "pg-restore.sh"), ["restore", fetched, name], { ...pgEnv(pg), SAFETY_DIR: tempDir("s3-safety") });
        assert.equal(restored.code, 0, restored.stderr);
        assert.equal(await snapshot(pg), before);
    });

    it("a backup that is not there is refused with exit 3", async () => {
        const result = await s3(keys.reader, ["fetch", "20200101T000000Z", tempDir("s3-missing")]);
        assert.equal(result.code, 3, result.stderr);
        assert.match(result.stderr, /backup 20200101T000000Z not found/);
    });

    it("the reader's keys are refused on write and delete, and nothing changes", async () => {
        // An expired backup, written by the writer: something the reader's prune would have to delete.
        const expired = tempDir("s3-expired");
        await backupInto(expired, stampDaysAgo(60));
        assert.equal((await s3(keys.writer, ["upload", expired])).code, 0);
        const dir = tempDir("s3-ro");
        await backupInto(dir);
        const beforeList = await list(keys.reader);
        const upload = await s3(keys.reader, ["upload", dir]);
        assert.notEqual(upload.code, 0);
        assert.match(upload.stderr, /AccessDenied/);
        const prune = await s3(keys.reader, ["prune"], { RETENTION_DAYS: "7" });
        assert.notEqual(prune.code, 0, "the expired backup exists to delete, and the reader may not");
        assert.match(prune.stderr, /AccessDenied/);
        assert.deepEqual(await list(keys.reader), beforeList);
    });

    it("retention: the upload deletes backups older than RETENTION_DAYS, never the newest", async () => {
        const uploadNamed = async (name: string, extra: NodeJS.ProcessEnv = {}) => {
            const dir = tempDir("s3-ret");
            mkdirSync(dir, { recursive: true });
            await backupInto(dir, name);
            const result = await s3(keys.writer, ["upload", dir], extra);
            assert.equal(result.code, 0, result.stderr);
        };
        const old = [stampDaysAgo(40), stampDaysAgo(9)];
        const young = stampDaysAgo(3);
        for (const name of [...old, young]) await uploadNamed(name);
        const before = (await list(keys.reader)).map((b) => b.name);
        for (const name of [...old, young]) assert.ok(before.includes(name));

        await uploadNamed(stampDaysAgo(0.01), { RETENTION_DAYS: "7" });
        const after = (await list(keys.reader)).map((b) => b.name);
        for (const name of old) assert.ok(!after.includes(name), `${name} expired`);
        assert.ok(after.includes(young), "a backup inside the retention stays");
        assert.ok(after.every((name) => name >= stampDaysAgo(7)), `nothing older than 7 days is left: ${after.join(", ")}`);
    });
});
