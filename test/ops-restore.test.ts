import { strict as assert } from "assert";
import { PassThrough } from "stream";
import { describePlan, scriptMessage, terminalConfirm } from "../tools/ops/restore";

/** The parts of `ops restore` that need no cluster; the flow itself runs against the real control plane (test/control-plane/restore-suite.ts). */
describe("ops restore, without a cluster", () => {
    it("shows the backup's time and age, the database's size and every table's rows now and in the backup", () => {
        const lines = describePlan(
            {
                backup: { name: "20261201T030000Z", createdAt: "2026-12-01T03:00:00Z", database: "nsip", sizeBytes: 1536, tables: { "public.analyses": 3, "public.schema_migrations": 1 } },
                current: { database: "nsip", sizeBytes: 9 * 1024 * 1024, tables: { "public.analyses": 7, "public.schema_migrations": 1, "public.stray": 2 } },
            },
            new Date("2026-12-02T05:30:00Z"),
        );
        assert.deepEqual(lines, [
            "Backup 20261201T030000Z: taken 2026-12-01T03:00:00Z (1d2h ago), 1.5 KiB compressed, verified against its manifest.",
            "It replaces the whole database nsip (9.0 MiB now).",
            "  table                       rows now   in backup",
            "  public.analyses                    7           3",
            "  public.schema_migrations           1           1",
            "  public.stray                       2           -",
        ]);
    });

    it("reports the script's own reason: the last ERROR line of the log tail the kubelet kept", () => {
        const tail = "2026-12-02T05:00:00Z safety dump of the current database into /safety\n2026-12-02T05:00:01Z ERROR: restore of X failed and was rolled back: the database is as it was\n";
        assert.equal(scriptMessage(tail), "restore of X failed and was rolled back: the database is as it was");
        assert.equal(scriptMessage("line one\nline two\nline three\nline four\n"), "line two | line three | line four", "no ERROR line: the last lines");
    });

    it("asks only on a terminal: without one there is no confirm callback (then only --yes confirms)", async () => {
        assert.equal(terminalConfirm(new PassThrough(), new PassThrough()), undefined);

        const input = Object.assign(new PassThrough(), { isTTY: true });
        const output = new PassThrough();
        const confirm = terminalConfirm(input, output)!;
        for (const [answer, expected] of [["y\n", true], ["YES\n", true], ["\n", false], ["n\n", false], ["yes please\n", false]] as const) {
            const asked = confirm("Replace database nsip with backup 20261201T030000Z?");
            input.write(answer);
            assert.equal(await asked, expected, JSON.stringify(answer));
        }
        assert.match(String(output.read()), /Replace database nsip with backup 20261201T030000Z\? \[y\/N\] /);
    });
});
