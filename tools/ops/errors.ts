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
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP: readonly [ExitCodeValue, string][] = [
    [ExitCode.Ok, "success (status/health: everything ready and healthy)"],
    [ExitCode.Failed, "failed: an API refusal, a failed backup Job, a remote command without exit status"],
    [ExitCode.Usage, "usage error: unknown command or option, missing or invalid value"],
    [ExitCode.NotFound, "not found: the stack has no outputs, unknown service, no backup CronJob"],
    [ExitCode.Unreachable, "the cluster's API server is unreachable"],
    [ExitCode.Unhealthy, "a workload is not ready or a health endpoint fails"],
    [ExitCode.Drift, "deployed images differ from the stack's imageDigests"],
    [ExitCode.Forbidden, "the API server refused the credentials (401/403)"],
    [ExitCode.Timeout, "a wait ran out (backup --wait)"],
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
