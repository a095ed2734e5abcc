import type * as k8s from "@pulumi/kubernetes";
import type { Flow, Peer } from "../services/traffic";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type PolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

export interface PeerSelectors {
    /** Pod labels that identify an in-namespace peer (a workload's name). */
    pod(peer: string): Record<string, string>;
    /** Where pods reach the Kubernetes API (the `kubernetes` Service's ClusterIP on EKS, anywhere elsewhere). */
    kubeApiCidrs: string[];
}

const ANYWHERE = "0.0.0.0/0";
/** Link-local address of the eks-pod-identity-agent DaemonSet (host network) on every EKS node. */
export const POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32";

/**
 * One workload's NetworkPolicy: exactly the flows of the traffic table that start or end at it.
 * Together with the namespace's default deny, nothing else gets in or out (DNS is a namespace-wide policy).
 */
export function workloadPolicySpec(name: string, table: readonly Flow[], peers: PeerSelectors): NetworkPolicySpec {
    const toPeer = (peer: Peer): PolicyPeer[] => {
        // S3 and the AWS APIs publish no CIDRs a NetworkPolicy could list (many, shared, changing): port 443 anywhere.
        if (peer === "outside" || peer === "s3" || peer === "aws-api") return [{ ipBlock: { cidr: ANYWHERE } }];
        if (peer === "pod-identity-agent") return [{ ipBlock: { cidr: POD_IDENTITY_AGENT_CIDR } }];
        if (peer === "kube-api") return peers.kubeApiCidrs.map((cidr) => ({ ipBlock: { cidr } }));
        return [{ podSelector: { matchLabels: peers.pod(peer) } }];
    };
    const tcp = (ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

    const ingress = table.filter((f) => f.to === name).map((f) => ({ from: toPeer(f.from), ports: tcp(f.ports) }));
    const egress = table.filter((f) => f.from === name).map((f) => ({ to: toPeer(f.to), ports: tcp(f.ports) }));
    return {
        podSelector: { matchLabels: peers.pod(name) },
        // Both types listed: a direction without rules denies everything. An empty rule list is left out,
        // not sent as []: the API server drops it, so [] would diff (and bump the generation) on every apply.
        policyTypes: ["Ingress", "Egress"],
        ...(ingress.length > 0 ? { ingress } : {}),
        ...(egress.length > 0 ? { egress } : {}),
    };
}

/** Deny all ingress and egress for every pod in the namespace; workload policies then open the table. */
export const defaultDenySpec: NetworkPolicySpec = { podSelector: {}, policyTypes: ["Ingress", "Egress"] };

/** Every pod may resolve names through kube-dns (CoreDNS carries the k8s-app=kube-dns label on EKS and k3s). */
export const allowDnsSpec: NetworkPolicySpec = {
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [
        {
            to: [
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                },
            ],
            ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
            ],
        },
    ],
};
