/**
 * Exit codes scripts can rely on (README "ops", `ops --help`). Stable: a code keeps its meaning forever;
 * new conditions get new numbers.
 */
export const ExitCode = {
    Ok: 0,
    /** Anything else that failed: an API refusal not listed below, a Job that failed, a remote command without status. */
    Failed: 1,
    /** Bad arguments: unknown command or option, missing value, invalid --since. */
    Usage: 2,
    /** Something named does not exist: the stack has no outputs, an unknown service, no backup CronJob, no backups. */
    NotFound: 3,
    /** The API server cannot be reached (connection refused, DNS, TLS, timeout). */
    Unreachable: 4,
    /** The cluster answers, but a service is not ready or its health endpoint fails (`status`, `health`). */
    Unhealthy: 5,
    /** The deployed images differ from the stack's imageDigests output (`version`). */
    Drift: 6,
    /** The API server refused the credentials (HTTP 401/403). */
    Forbidden: 7,
    /** A wait ran out: the backup Job did not finish within --timeout. */
    Timeout: 8,
    /** restore: the backup is missing, unfinished, truncated or corrupt (pg-restore.sh exit 3); the database was not touched. */
    RestoreRefused: 10,
    /** restore: the safety dump failed (pg-restore.sh exit 4); nothing was restored. */
    SafetyDumpFailed: 11,
    /** restore: the restore failed and was rolled back (pg-restore.sh exit 5); the database is as it was. */
    RestoreRolledBack: 12,
    /** restore: restored, but the rows differ from the backup's manifest (pg-restore.sh exit 6, or after the migrations). */
    RestoreUnverified: 13,
    /** restore: no terminal to confirm on and no --yes; nothing was done. */
    ConfirmationNeeded: 14,
    /** restore: the operator answered no at the prompt; nothing was changed. */
    Declined: 15,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP: readonly [ExitCodeValue, string][] = [
    [ExitCode.Ok, "success (status/health: everything ready and healthy)"],
    [ExitCode.Failed, "failed: an API refusal, a failed backup Job, a remote command without exit status"],
    [ExitCode.Usage, "usage error: unknown command or option, missing or invalid value"],
    [ExitCode.NotFound, "not found: the stack has no outputs, unknown service, no backup CronJob or ops template"],
    [ExitCode.Unreachable, "the cluster's API server is unreachable"],
    [ExitCode.Unhealthy, "a workload is not ready or a health endpoint fails"],
    [ExitCode.Drift, "deployed images differ from the stack's imageDigests"],
    [ExitCode.Forbidden, "the API server refused the credentials (401/403)"],
    [ExitCode.Timeout, "a wait ran out (backup --wait)"],
    [ExitCode.RestoreRefused, "restore: backup missing, unfinished, truncated or corrupt; the database was not touched"],
    [ExitCode.SafetyDumpFailed, "restore: the safety dump failed; nothing was restored"],
    [ExitCode.RestoreRolledBack, "restore: failed and rolled back; the database is as it was"],
    [ExitCode.RestoreUnverified, "restore: restored, but the rows differ from the backup's manifest"],
    [ExitCode.ConfirmationNeeded, "restore: no terminal and no --yes; nothing was done"],
    [ExitCode.Declined, "restore: not confirmed at the prompt; nothing was changed"],
];

/** An error `ops` reports as one line on stderr and exits with its code. */
export class OpsError extends Error {
    constructor(
        readonly exitCode: ExitCodeValue,
        message: string,
    ) {
        super(message);
        this.name = "OpsError";
    }
}
