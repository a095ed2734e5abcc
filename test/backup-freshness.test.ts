import { strict as assert } from "assert";
import { backupMaxAgeSeconds } from "../components/services/postgres/backup-freshness";

describe("backup freshness: how old the last successful backup may be", () => {
    const hours = (h: number) => h * 3600;
    it("is the schedule's longest gap plus the Job's 3 h deadline", () => {
        assert.equal(backupMaxAgeSeconds("0 3 * * *"), hours(24 + 3));
        assert.equal(backupMaxAgeSeconds("0 */6 * * *"), hours(6 + 3));
        assert.equal(backupMaxAgeSeconds("*/15 * * * *"), 15 * 60 + hours(3));
    });
    it("counts the weekend of a weekday-only schedule, and the longest month of a monthly one", () => {
        assert.equal(backupMaxAgeSeconds("0 3 * * 1-5"), hours(72 + 3));
        assert.equal(backupMaxAgeSeconds("0 3 1 * *"), hours(31 * 24 + 3));
    });
    it("refuses a schedule that is not cron", () => {
        assert.throws(() => backupMaxAgeSeconds("every day"));
    });
});
