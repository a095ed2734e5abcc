import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { recommendedLabels } from "../../workload/labels";
import { PROMETHEUS_DISCOVERY_RULES } from "./prometheus-config";

export interface PrometheusRbacArgs {
    namespace: pulumi.Input<string>;
    instance: string;
    version: string;
}

/**
 * The only API access in the namespace: Prometheus may list and watch what its Kubernetes service
 * discovery reads, in its own namespace, and nothing more (no secrets, no writes, no cluster scope).
 */
export class PrometheusRbac extends pulumi.ComponentResource {
    constructor(name: string, args: PrometheusRbacArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:PrometheusRbac", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const metadata = {
            name: "prometheus-discovery",
            namespace: args.namespace,
            labels: recommendedLabels({ name: "prometheus", component: "monitoring", instance: args.instance, version: args.version }),
        };
        const role = new k8s.rbac.v1.Role(
            `${name}-role`,
            {
                metadata,
                rules: PROMETHEUS_DISCOVERY_RULES.map((rule) => ({ ...rule, apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
            },
            child,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-binding`,
            {
                metadata,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: "prometheus", namespace: args.namespace }],
            },
            child,
        );
        this.registerOutputs({});
    }
}
