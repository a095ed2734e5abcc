import { CronExpressionParser } from "cron-parser";

/** The backup Job's own deadline (activeDeadlineSeconds): a run may take this long before it counts as failed. */
export const BACKUP_JOB_DEADLINE_SECONDS = 3 * 3600;

/**
 * How old the last successful backup may be before the schedule has been missed: the longest gap between
 * two runs of the cron schedule (over a year of runs, so weekday-only or monthly schedules count their
 * longest gap), plus the time one run may take. Pure; the alert rule renders it.
 */
export function backupMaxAgeSeconds(schedule: string, jobDeadlineSeconds = BACKUP_JOB_DEADLINE_SECONDS): number {
    const runs = CronExpressionParser.parse(schedule, { tz: "Etc/UTC", currentDate: new Date("2026-01-01T00:00:00Z"), endDate: new Date("2027-01-01T00:00:00Z") });
    let previous = runs.next().getTime();
    let longestGap = 0;
    // A run every minute is 525,600 a year: stop once the gap found cannot grow (every minute, hour, day...).
    for (let i = 0; i < 20_000 && runs.hasNext(); i++) {
        const next = runs.next().getTime();
        longestGap = Math.max(longestGap, next - previous);
        previous = next;
    }
    if (longestGap === 0) throw new Error(`backup schedule "${schedule}" runs at most once a year; nothing could tell a missed run`);
    return longestGap / 1000 + jobDeadlineSeconds;
}
