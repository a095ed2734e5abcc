import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../../stacks/schema";
import { recommendedLabels } from "../../workload/labels";
import type { WorkloadSpec } from "../../workload";
import { ports } from "../ports";
import { httpLiveness, httpReadiness, startup } from "../probes";
import { imageTag, thirdPartyImages } from "../third-party-images";

export const KUBE_STATE_METRICS = "kube-state-metrics";
/** The nobody user of the distroless image. */
const KSM_UID = 65534;

/** What it reports: the backup CronJob and its Jobs, for the freshness alert. Nothing else is listed or watched. */
export const KSM_RULES = [{ apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["list", "watch"] }] as const;

const resources: Resources = {
    requests: { cpu: "10m", memory: "32Mi", ephemeralStorage: "16Mi" },
    limits: { cpu: "100m", memory: "64Mi", ephemeralStorage: "32Mi" },
};

/**
 * kube-state-metrics, limited to this namespace's CronJobs and Jobs: it turns the backup CronJob's
 * status.lastSuccessfulTime into `kube_cronjob_status_last_successful_time`, which the freshness alert reads.
 * Built by the shared workload builder like every service; the one other workload with an API token.
 */
export function kubeStateMetricsSpec(namespace: string): WorkloadSpec {
    return {
        name: KUBE_STATE_METRICS,
        component: "monitoring",
        version: imageTag("kubeStateMetrics"),
        kind: "Deployment",
        // One instance: two would report every series twice.
        stateless: false,
        replicas: 1,
        runAsUser: KSM_UID,
        serviceAccountToken: true,
        containers: [
            {
                name: KUBE_STATE_METRICS,
                image: thirdPartyImages.kubeStateMetrics,
                args: [
                    `--port=${ports.kubeStateMetrics.metrics}`,
                    `--telemetry-port=${ports.kubeStateMetrics.telemetry}`,
                    `--namespaces=${namespace}`,
                    `--resources=${KSM_RULES[0].resources.join(",")}`,
                ],
                ports: [
                    { name: "metrics", containerPort: ports.kubeStateMetrics.metrics },
                    { name: "telemetry", containerPort: ports.kubeStateMetrics.telemetry },
                ],
                resources,
                probes: {
                    readiness: httpReadiness("/readyz", ports.kubeStateMetrics.telemetry),
                    liveness: httpLiveness("/livez", ports.kubeStateMetrics.metrics),
                    startup: startup(httpReadiness("/readyz", ports.kubeStateMetrics.telemetry)),
                },
                writablePaths: [],
            },
        ],
        servicePorts: [{ name: "metrics", port: ports.kubeStateMetrics.metrics, targetPort: ports.kubeStateMetrics.metrics }],
    };
}

/** A namespaced Role: list and watch CronJobs and Jobs here, nothing else (no secrets, no writes, no cluster scope). */
export class KubeStateMetricsRbac extends pulumi.ComponentResource {
    constructor(name: string, args: { namespace: pulumi.Input<string>; instance: string }, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:KubeStateMetricsRbac", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const metadata = {
            name: KUBE_STATE_METRICS,
            namespace: args.namespace,
            labels: recommendedLabels({ name: KUBE_STATE_METRICS, component: "monitoring", instance: args.instance, version: imageTag("kubeStateMetrics") }),
        };
        const role = new k8s.rbac.v1.Role(
            `${name}-role`,
            { metadata, rules: KSM_RULES.map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })) },
            child,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-binding`,
            {
                metadata,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: KUBE_STATE_METRICS, namespace: args.namespace }],
            },
            child,
        );
        this.registerOutputs({});
    }
}
