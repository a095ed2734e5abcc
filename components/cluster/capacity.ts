import type { EksAddonName } from "./eks";

/** One add-on pod's requests: CPU in millicores, memory in MiB. */
export interface AddOnPod {
    addOn: EksAddonName;
    pod: string;
    cpuMillis: number;
    memoryMiB: number;
}

/**
 * What the managed add-ons run on every node (DaemonSets), summed over a pod's containers. From the add-ons'
 * manifests and charts: vpc-cni's aws-node 25m (its network policy agent budgeted at 25m too), kube-proxy 100m,
 * the EBS CSI node pod's three containers at 10m/40Mi each, the CloudWatch observability chart's agent
 * (250m/128Mi), Fluent Bit (50m/25Mi) and node exporter (50m/30Mi). The Pod Identity agent sets none in its
 * manifest; it is budgeted at 25m/32Mi. The capacity test adds these to every node before placing our pods.
 */
export const ADD_ON_DAEMONSET_PODS: readonly AddOnPod[] = [
    { addOn: "vpc-cni", pod: "aws-node", cpuMillis: 50, memoryMiB: 0 },
    { addOn: "kube-proxy", pod: "kube-proxy", cpuMillis: 100, memoryMiB: 0 },
    { addOn: "eks-pod-identity-agent", pod: "eks-pod-identity-agent", cpuMillis: 25, memoryMiB: 32 },
    { addOn: "aws-ebs-csi-driver", pod: "ebs-csi-node", cpuMillis: 30, memoryMiB: 120 },
    { addOn: "amazon-cloudwatch-observability", pod: "cloudwatch-agent", cpuMillis: 250, memoryMiB: 128 },
    { addOn: "amazon-cloudwatch-observability", pod: "fluent-bit", cpuMillis: 50, memoryMiB: 25 },
    { addOn: "amazon-cloudwatch-observability", pod: "node-exporter", cpuMillis: 50, memoryMiB: 30 },
];

/**
 * The add-ons' Deployment pods, one entry per replica: CoreDNS 2 x 100m/70Mi, the EBS CSI controller
 * 2 x six containers at 10m/40Mi, the CloudWatch operator (100m/64Mi) and its kube-state-metrics (50m/64Mi).
 */
export const ADD_ON_DEPLOYMENT_PODS: readonly AddOnPod[] = [
    { addOn: "coredns", pod: "coredns", cpuMillis: 100, memoryMiB: 70 },
    { addOn: "coredns", pod: "coredns", cpuMillis: 100, memoryMiB: 70 },
    { addOn: "aws-ebs-csi-driver", pod: "ebs-csi-controller", cpuMillis: 60, memoryMiB: 240 },
    { addOn: "aws-ebs-csi-driver", pod: "ebs-csi-controller", cpuMillis: 60, memoryMiB: 240 },
    { addOn: "amazon-cloudwatch-observability", pod: "amazon-cloudwatch-observability-controller-manager", cpuMillis: 100, memoryMiB: 64 },
    { addOn: "amazon-cloudwatch-observability", pod: "kube-state-metrics", cpuMillis: 50, memoryMiB: 64 },
];
