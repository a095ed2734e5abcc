import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { OutputName, OutputValue } from "../../stacks/outputs";

/**
 * Another team's program built on the nsip stack outputs: it reads them through a StackReference and
 * puts a namespace of its own on the same cluster, with a ConfigMap telling its workloads where nsip is.
 * The output names and types come from nsip's contract (stacks/outputs.ts), so a breaking change there
 * fails this program's type check as well as nsip's contract test.
 */

/** An output every nsip stack exports (the contract's "every cluster kind"): missing is an error. */
function required<K extends OutputName>(nsip: pulumi.StackReference, name: K): pulumi.Output<OutputValue<K>> {
    return nsip.requireOutput(name) as pulumi.Output<OutputValue<K>>;
}

/** An output only some cluster kinds export (EKS-only ones): undefined elsewhere. */
function optional<K extends OutputName>(nsip: pulumi.StackReference, name: K): pulumi.Output<OutputValue<K> | undefined> {
    return nsip.getOutput(name) as pulumi.Output<OutputValue<K> | undefined>;
}

export = async function consumer() {
    const config = new pulumi.Config();
    const nsip = new pulumi.StackReference("nsip", { name: config.require("nsipStack") });

    // A secret output stays secret: the provider's kubeconfig is never shown or stored in clear text.
    const provider = new k8s.Provider("nsip-cluster", { kubeconfig: required(nsip, "kubeconfig"), enableServerSideApply: true });
    const namespace = new k8s.core.v1.Namespace("reporting", { metadata: { name: "reporting" } }, { provider });
    const publicUrl = required(nsip, "publicUrl");
    const endpoints = new k8s.core.v1.ConfigMap(
        "nsip-endpoints",
        {
            metadata: { name: "nsip-endpoints", namespace: namespace.metadata.name },
            data: {
                // nsip's NetworkPolicies admit other namespaces only through its edge: use the public URL.
                NSIP_API_URL: pulumi.interpolate`${publicUrl}/api`,
                NSIP_GRAFANA_URL: required(nsip, "grafanaUrl"),
                NSIP_API_IMAGE: required(nsip, "imageDigests").apply((digests) => digests.api),
            },
        },
        { provider },
    );

    return {
        endpointsConfigMap: endpoints.metadata.name,
        nsipCluster: required(nsip, "clusterName"),
        /** Set when nsip runs on EKS: the VPC this team peers with. */
        nsipVpcId: optional(nsip, "vpcId"),
    };
};
