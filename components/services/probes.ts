import type * as k8s from "@pulumi/kubernetes";

type Probe = k8s.types.input.core.v1.Probe;

/** Readiness: may this pod take traffic now? Checked often, fails fast. */
export const httpReadiness = (path: string, port: number): Probe => ({
    httpGet: { path, port },
    periodSeconds: 5,
    // The api's /ready checks PostgreSQL and Redis with up to 2 s each.
    timeoutSeconds: 3,
    failureThreshold: 3,
});

/** Liveness: is the process wedged? Lenient, so a slow dependency never restarts a healthy process. */
export const httpLiveness = (path: string, port: number): Probe => ({
    httpGet: { path, port },
    periodSeconds: 15,
    timeoutSeconds: 3,
    failureThreshold: 4,
});

export const tcpLiveness = (port: number): Probe => ({ tcpSocket: { port }, periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 4 });

export const execProbe = (command: string[], kind: "readiness" | "liveness"): Probe =>
    kind === "readiness"
        ? { exec: { command }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }
        : { exec: { command }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 4 };

/** Startup: gives slow first starts (migrations, initdb, WAL replay) time before liveness applies. */
export const startup = (probe: Probe, budgetSeconds = 120): Probe => ({
    ...probe,
    periodSeconds: 5,
    timeoutSeconds: (probe.timeoutSeconds as number | undefined) ?? 3,
    failureThreshold: Math.ceil(budgetSeconds / 5),
});
