import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import * as path from "path";
import type { Hardening } from "../../../stacks/schema";
import { cronJob } from "../../workload/cron-job";
import { recommendedLabels } from "../../workload/labels";
import type { ServicePort, WorkloadSpec } from "../../workload/spec";
import { API_UID } from "../api";
import { serviceHost } from "../context";
import type { Flow } from "../traffic";
import { HEALTH_PROBE_CONTAINER, HEALTH_PROBE_NAME, HEALTH_PROBE_TARGETS_ENV, HEALTH_PROBE_TIMEOUT_ENV } from "./names";

export { HEALTH_PROBE_NAME } from "./names";

/** Per-target timeout: the readiness probes' own 3 s, plus room for a slow DNS answer. */
export const PROBE_TIMEOUT_MS = 5000;

/** The program the probe container runs (`node -e`), read from the file its unit tests run. */
export const probeProgram = (): string => readFileSync(path.join(__dirname, "probe.js"), "utf8");

/** A Service of the stack and the ports it routes (Service port -> container port). */
export interface RoutedService {
    name: string;
    ports: Pick<ServicePort, "port" | "targetPort">[];
}

/**
 * What the probe GETs, per Service name: for every `health-probe -> <service>` row of the traffic table, the service's
 * own readiness endpoint (its main container's httpGet probe), through a Service that routes to that port. The row
 * must name exactly that port: the probe gets through the NetworkPolicies on it and on nothing else.
 */
export function healthProbeTargets(table: readonly Flow[], workloads: Record<string, { spec: WorkloadSpec; services: RoutedService[] }>, namespace: string): Record<string, string> {
    const targets: Record<string, string> = {};
    for (const flow of table.filter((f) => f.from === HEALTH_PROBE_NAME)) {
        const workload = workloads[flow.to];
        if (workload === undefined) throw new Error(`traffic table: health-probe -> ${flow.to}: no workload ${flow.to} on this stack`);
        const main = workload.spec.containers.find((c) => c.name === workload.spec.name) ?? workload.spec.containers[0];
        const httpGet = main?.probes.readiness.httpGet as { path?: string; port?: number } | undefined;
        if (httpGet?.port === undefined) throw new Error(`traffic table: health-probe -> ${flow.to}: its container ${main?.name} has no HTTP readiness probe`);
        if (flow.ports.length !== 1 || flow.ports[0] !== httpGet.port) {
            throw new Error(`traffic table: health-probe -> ${flow.to} must allow exactly its readiness port ${httpGet.port}, not ${flow.ports.join(",")}`);
        }
        const routed = workload.services.flatMap((service) => service.ports.filter((p) => p.targetPort === httpGet.port).map((p) => ({ service: service.name, port: p.port })))[0];
        if (routed === undefined) throw new Error(`health-probe -> ${flow.to}: no Service routes to its readiness port ${httpGet.port}`);
        targets[routed.service] = `http://${serviceHost(routed.service, namespace)}:${routed.port}${httpGet.path ?? "/"}`;
    }
    return targets;
}

export interface HealthProbeArgs {
    namespace: pulumi.Input<string>;
    instance: string;
    version: string;
    /** The api image by digest: it has Node's fetch, and is in every stack already. */
    image: pulumi.Input<string>;
    hardening: Hardening;
    targets: Record<string, string>;
    /** The probe pod's own policy: the health ports of its targets, nothing else. */
    networkPolicy: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/**
 * The in-cluster health probe: a suspended CronJob (cronJob, timed as a template) that `ops health` instantiates. Its pod
 * GETs each HTTP service's readiness endpoint from inside the namespace, as a client pod would, and reports the
 * verdicts in its termination message. Own ServiceAccount without an API token; its NetworkPolicy opens only the
 * `health-probe` rows of the traffic table.
 */
export class HealthProbe extends pulumi.ComponentResource {
    public readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: HealthProbeArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:HealthProbe", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const labels = recommendedLabels({ name: HEALTH_PROBE_NAME, component: "health-probe", instance: args.instance, version: args.version });
        const metadata = { name: HEALTH_PROBE_NAME, namespace: args.namespace, labels };

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata, automountServiceAccountToken: false }, child);
        this.cronJob = cronJob(
            `${name}-template`,
            {
                metadata,
                timing: { instantiatedBy: "npm run ops -- health" },
                pod: {
                    name: HEALTH_PROBE_NAME,
                    stateless: false,
                    runAsUser: API_UID,
                    containers: [
                        {
                            name: HEALTH_PROBE_CONTAINER,
                            image: args.image,
                            command: ["node", "-e", probeProgram()],
                            ports: [],
                            env: [
                                { name: HEALTH_PROBE_TARGETS_ENV, value: JSON.stringify(args.targets) },
                                { name: HEALTH_PROBE_TIMEOUT_ENV, value: String(PROBE_TIMEOUT_MS) },
                            ],
                            resources: { requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "16Mi" }, limits: { cpu: "500m", memory: "128Mi", ephemeralStorage: "64Mi" } },
                            writablePaths: [{ path: "/tmp", sizeLimit: "16Mi" }],
                            terminationMessagePolicy: "FallbackToLogsOnError",
                        },
                    ],
                },
                hardening: args.hardening,
                serviceAccountName: serviceAccount.metadata.name,
                // One answer per `ops health`; a retry would only hide a flapping service.
                backoffLimit: 0,
                activeDeadlineSeconds: 300,
                historyLimit: 1,
            },
            // The component's dependsOn (nodes, CNI, DNS: what pods need of the cluster) is not inherited.
            { ...child, dependsOn: opts.dependsOn },
        );
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, { metadata, spec: args.networkPolicy }, child);
        this.registerOutputs({ cronJobName: this.cronJob.metadata.name });
    }
}
