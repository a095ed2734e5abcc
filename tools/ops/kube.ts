import * as k8s from "@kubernetes/client-node";
import { PassThrough, Readable, Writable } from "stream";
import { ExitCode, OpsError } from "./errors";

/**
 * The one Kubernetes client of `ops` (and of the restore flow): @kubernetes/client-node behind a small,
 * stable surface, so commands never see the library's request plumbing and every failure arrives as an
 * OpsError with the exit code scripts rely on (unreachable server, not found, API refusal).
 *
 * @kubernetes/client-node is pinned at 1.4.0: 2.x needs undici 8 (Node >= 22.19) and this repo runs Node 20.
 * 1.x is ESM-only; Node >= 20.19 loads it through require(esm), which is what tsx's CommonJS output does.
 */

export type {
    V1CronJob,
    V1Deployment,
    V1HorizontalPodAutoscaler,
    V1Job,
    V1NetworkPolicy,
    V1PersistentVolumeClaim,
    V1Pod,
    V1Service,
    V1StatefulSet,
    V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";

/** Where the cluster is and who we are: a kubeconfig (YAML text or a file) and the stack's namespace. */
export interface KubeTarget {
    kubeconfig: { yaml: string } | { file: string };
    namespace: string;
}

/** A Deployment or StatefulSet: what `ops` calls a service (its name is the service name). */
export type WorkloadKind = "Deployment" | "StatefulSet";

export interface Workload {
    kind: WorkloadKind;
    name: string;
    object: k8s.V1Deployment | k8s.V1StatefulSet;
}

export interface ExecOptions {
    pod: string;
    container: string;
    command: string[];
    stdin?: Readable | null;
    stdout: Writable;
    stderr: Writable;
    tty?: boolean;
}

export interface LogOptions {
    pod: string;
    container: string;
    follow?: boolean;
    sinceSeconds?: number;
    tailLines?: number;
}

/** The remote process' end: exit code 0 on success, the command's status otherwise (from the Status frame). */
export interface ExecResult {
    exitCode: number;
    message?: string;
}

export class Kube {
    readonly config: k8s.KubeConfig;
    readonly core: k8s.CoreV1Api;
    readonly apps: k8s.AppsV1Api;
    readonly batch: k8s.BatchV1Api;
    readonly autoscaling: k8s.AutoscalingV2Api;
    readonly networking: k8s.NetworkingV1Api;
    readonly discovery: k8s.DiscoveryV1Api;

    constructor(readonly target: KubeTarget) {
        this.config = new k8s.KubeConfig();
        try {
            if ("yaml" in target.kubeconfig) {
                this.config.loadFromString(target.kubeconfig.yaml);
            } else {
                this.config.loadFromFile(target.kubeconfig.file);
            }
        } catch (error) {
            throw new OpsError(ExitCode.Usage, `the kubeconfig cannot be read: ${messageOf(error)}`);
        }
        if (this.config.getCurrentCluster() === null) {
            throw new OpsError(ExitCode.Usage, "the kubeconfig names no current cluster (set current-context)");
        }
        this.core = this.config.makeApiClient(k8s.CoreV1Api);
        this.apps = this.config.makeApiClient(k8s.AppsV1Api);
        this.batch = this.config.makeApiClient(k8s.BatchV1Api);
        this.autoscaling = this.config.makeApiClient(k8s.AutoscalingV2Api);
        this.networking = this.config.makeApiClient(k8s.NetworkingV1Api);
        this.discovery = this.config.makeApiClient(k8s.DiscoveryV1Api);
    }

    get namespace(): string {
        return this.target.namespace;
    }

    /** The API server URL of the kubeconfig's current cluster. */
    get server(): string {
        return this.config.getCurrentCluster()?.server ?? "(none)";
    }

    /**
     * Runs one API call and turns transport failures into "unreachable" and API errors into OpsErrors
     * naming what was asked (`what`), so every command reports the same way.
     */
    async call<T>(what: string, request: () => Promise<T>): Promise<T> {
        try {
            return await request();
        } catch (error) {
            throw this.translate(what, error);
        }
    }

    /** Like call, but a 404 is `undefined` instead of an error. */
    async optional<T>(what: string, request: () => Promise<T>): Promise<T | undefined> {
        try {
            return await request();
        } catch (error) {
            if (error instanceof k8s.ApiException && error.code === 404) {
                return undefined;
            }
            throw this.translate(what, error);
        }
    }

    translate(what: string, error: unknown): OpsError {
        if (error instanceof OpsError) {
            return error;
        }
        if (error instanceof k8s.ApiException) {
            const code = error.code === 404 ? ExitCode.NotFound : error.code === 401 || error.code === 403 ? ExitCode.Forbidden : ExitCode.Failed;
            return new OpsError(code, `${what}: HTTP ${error.code}: ${apiMessage(error.body)}`);
        }
        if (isTransportError(error)) {
            return new OpsError(ExitCode.Unreachable, `the cluster is unreachable at ${this.server} (${what}: ${messageOf(error)})`);
        }
        return new OpsError(ExitCode.Failed, `${what}: ${messageOf(error)}`);
    }

    /** Deployments and StatefulSets of the namespace, sorted by name. */
    async workloads(): Promise<Workload[]> {
        const namespace = this.namespace;
        const [deployments, statefulSets] = await Promise.all([
            this.call(`list Deployments in ${namespace}`, () => this.apps.listNamespacedDeployment({ namespace })),
            this.call(`list StatefulSets in ${namespace}`, () => this.apps.listNamespacedStatefulSet({ namespace })),
        ]);
        const all: Workload[] = [
            ...deployments.items.map((object) => ({ kind: "Deployment" as const, name: object.metadata?.name ?? "", object })),
            ...statefulSets.items.map((object) => ({ kind: "StatefulSet" as const, name: object.metadata?.name ?? "", object })),
        ];
        return all.sort((a, b) => a.name.localeCompare(b.name));
    }

    /** The workload called `service`; an unknown name is an error listing the valid ones. */
    async workload(service: string): Promise<Workload> {
        const all = await this.workloads();
        const found = all.find((workload) => workload.name === service);
        if (found === undefined) {
            const valid = all.map((workload) => workload.name).join(", ") || "(none: is the stack deployed?)";
            throw new OpsError(ExitCode.NotFound, `unknown service "${service}" in namespace ${this.namespace}; valid services: ${valid}`);
        }
        return found;
    }

    /** The workload's pods that are not being deleted, ready ones first, then by name. */
    async podsOf(workload: Workload): Promise<k8s.V1Pod[]> {
        const labelSelector = selectorOf(workload.object.spec?.selector);
        const pods = await this.call(`list pods of ${workload.kind}/${workload.name}`, () => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }));
        return pods.items
            .filter((pod) => pod.metadata?.deletionTimestamp === undefined)
            .sort((a, b) => Number(podReady(b)) - Number(podReady(a)) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
    }

    /** A running pod of the service (ready preferred), or a not-found error saying none runs. */
    async runningPod(workload: Workload): Promise<k8s.V1Pod> {
        const pod = (await this.podsOf(workload)).find((candidate) => candidate.status?.phase === "Running");
        if (pod === undefined) {
            throw new OpsError(ExitCode.NotFound, `${workload.kind}/${workload.name} has no running pod`);
        }
        return pod;
    }

    /** Strategic-merge patch of a Deployment or StatefulSet. */
    async patchWorkload(workload: Workload, body: object): Promise<void> {
        const options = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);
        const params = { name: workload.name, namespace: this.namespace, body };
        await this.call(`patch ${workload.kind}/${workload.name}`, () =>
            workload.kind === "Deployment" ? this.apps.patchNamespacedDeployment(params, options) : this.apps.patchNamespacedStatefulSet(params, options),
        );
    }

    /** A GET with the kubeconfig's credentials; transport failures are "unreachable". */
    async rawGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
        const https = await import("https");
        const options: import("https").RequestOptions = {};
        await this.config.applyToHTTPSOptions(options);
        return new Promise((resolve, reject) => {
            const request = https.request(url, { ...options, method: "GET", timeout: timeoutMs }, (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (chunk: Buffer) => chunks.push(chunk));
                response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
                response.on("error", reject);
            });
            const timedOut = new OpsError(ExitCode.Failed, `no answer within ${timeoutMs} ms`);
            // A slow answer is the proxied service's, not an unreachable API server.
            request.on("timeout", () => request.destroy(timedOut));
            request.on("error", (error) => reject(error === timedOut ? timedOut : this.translate(`GET ${new URL(url).pathname}`, error)));
            request.end();
        });
    }

    /** Streams a container's log into `out`; resolves when the log ends (at once unless following). */
    async logs(options: LogOptions, out: Writable): Promise<void> {
        const log = new k8s.Log(this.config);
        const what = `logs of pod ${options.pod} container ${options.container}`;
        const sink = new PassThrough();
        sink.pipe(out, { end: false });
        await new Promise<void>((resolve, reject) => {
            let settled = false;
            const finish = (error?: unknown) => {
                if (settled) {
                    return;
                }
                settled = true;
                if (error === undefined || error === null) {
                    resolve();
                } else {
                    reject(this.translateLogError(what, error));
                }
            };
            sink.on("end", () => finish());
            log.log(this.namespace, options.pod, options.container, sink, (error: unknown) => finish(error), {
                follow: options.follow ?? false,
                sinceSeconds: options.sinceSeconds,
                tailLines: options.tailLines,
            }).catch((error: unknown) => finish(error));
        });
    }

    private translateLogError(what: string, error: unknown): OpsError {
        // The log helper reports HTTP failures as errors carrying the response's status and body text.
        const status = (error as { statusCode?: number; code?: number } | undefined)?.statusCode;
        if (typeof status === "number" && status >= 400) {
            const code = status === 404 ? ExitCode.NotFound : status === 401 || status === 403 ? ExitCode.Forbidden : ExitCode.Failed;
            return new OpsError(code, `${what}: HTTP ${status}: ${messageOf(error)}`);
        }
        return this.translate(what, error);
    }

    /** Runs a command in a container through the Exec websocket API; resolves with its exit code. */
    async exec(options: ExecOptions): Promise<ExecResult> {
        const exec = new k8s.Exec(this.config);
        const what = `exec in pod ${options.pod} container ${options.container}`;
        // The library ends the streams it is given when the socket closes; the caller's stay open.
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        stdout.pipe(options.stdout, { end: false });
        stderr.pipe(options.stderr, { end: false });
        const stopResizing = options.tty ? withTerminalSize(stdout, options.stdout) : () => {};
        return new Promise<ExecResult>((resolve, reject) => {
            let status: k8s.V1Status | undefined;
            exec.exec(this.namespace, options.pod, options.container, options.command, stdout, stderr, options.stdin ?? null, options.tty ?? false, (received) => {
                status = received;
            })
                .then((socket) => {
                    socket.on("close", () => resolve(execResult(status)));
                    socket.on("close", stopResizing);
                    socket.on("error", (error: Error) => reject(this.translate(what, error)));
                })
                .catch((error: unknown) => {
                    stopResizing();
                    reject(this.translateExecError(what, error));
                });
        });
    }

    private translateExecError(what: string, error: unknown): OpsError {
        // A refused upgrade arrives as an ErrorEvent-like object whose message carries the HTTP status.
        const message = messageOf(error);
        const status = /Unexpected server response: (\d+)/.exec(message)?.[1];
        if (status !== undefined) {
            const code = status === "404" ? ExitCode.NotFound : status === "401" || status === "403" ? ExitCode.Forbidden : ExitCode.Failed;
            return new OpsError(code, `${what}: HTTP ${status}`);
        }
        return this.translate(what, error);
    }
}

/**
 * Lends a stream the terminal's size. The Exec client sends the size of the stdout it is given, and every later
 * resize, when that stream has `rows`, `columns` and resize events, as a terminal does. ops gives it a PassThrough
 * (so the socket's close does not end the terminal), which therefore mirrors the terminal. Returns the undo.
 */
export function withTerminalSize(stream: PassThrough, terminal: Writable): () => void {
    const tty = terminal as Partial<NodeJS.WriteStream>;
    if (tty.isTTY !== true) return () => {};
    Object.defineProperties(stream, { rows: { get: () => tty.rows }, columns: { get: () => tty.columns } });
    const forward = () => stream.emit("resize");
    terminal.on("resize", forward);
    return () => terminal.off("resize", forward);
}

/** The exit code a Status frame carries: Success is 0, NonZeroExitCode names it in details.causes. */
export function execResult(status: k8s.V1Status | undefined): ExecResult {
    if (status === undefined) {
        return { exitCode: ExitCode.Failed, message: "the connection closed without an exit status" };
    }
    if (status.status === "Success") {
        return { exitCode: 0 };
    }
    const cause = status.details?.causes?.find((candidate) => candidate.reason === "ExitCode");
    const exitCode = cause?.message === undefined ? Number.NaN : Number(cause.message);
    return { exitCode: Number.isInteger(exitCode) ? exitCode : ExitCode.Failed, message: status.message };
}

export function selectorOf(selector: k8s.V1LabelSelector | undefined): string {
    return Object.entries(selector?.matchLabels ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
}

export function podReady(pod: k8s.V1Pod): boolean {
    return (pod.status?.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}

function apiMessage(body: unknown): string {
    if (typeof body === "string") {
        try {
            return apiMessage(JSON.parse(body));
        } catch {
            return body.slice(0, 300);
        }
    }
    if (typeof body === "object" && body !== null && "message" in body) {
        return String((body as { message: unknown }).message);
    }
    return JSON.stringify(body);
}

const TRANSPORT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "ERR_TLS_CERT_ALTNAME_INVALID"]);

function isTransportError(error: unknown): boolean {
    let current: unknown = error;
    for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
        const { code, errno, type } = current as { code?: unknown; errno?: unknown; type?: unknown };
        if ((typeof code === "string" && TRANSPORT_CODES.has(code)) || (typeof errno === "string" && TRANSPORT_CODES.has(errno)) || type === "system" || type === "request-timeout") {
            return true;
        }
        current = (current as { cause?: unknown }).cause;
    }
    return false;
}

export function messageOf(error: unknown): string {
    if (error instanceof Error) {
        return error.message;
    }
    if (typeof error === "object" && error !== null && "message" in error) {
        return String((error as { message: unknown }).message);
    }
    return String(error);
}
