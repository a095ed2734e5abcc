import { clusterDefaults } from "../../stacks/profiles";

/**
 * The simulated nodes: one per availability zone, sized like the prod node group's default instance
 * type, so the real scheduler has to fit the prod requests and honour the zone spread. kwok manages
 * every node carrying its annotation; nothing runs on them.
 */

interface InstanceType {
    vcpus: number;
    memoryMiB: number;
    /** The VPC CNI's limit: ENIs x (IPv4 addresses per ENI - 1) + 2. */
    maxPods: number;
}

/** Instance types the prod profile may default to; a new default must be added here. */
const INSTANCE_TYPES: Record<string, InstanceType> = {
    "m6i.large": { vcpus: 2, memoryMiB: 8192, maxPods: 29 },
};

export interface SimulatedNode {
    name: string;
    zone: string;
    instanceType: string;
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
}

export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
const REGION = "eu-west-1";
const ZONES = ["a", "b", "c"].map((letter) => `${REGION}${letter}`);

/**
 * Allocatable as the EKS-optimized AMI's bootstrap computes it: kube-reserved CPU 6% of the first
 * core + 1% of the second, kube-reserved memory 11 MiB per pod + 255 MiB, hard eviction at 100 MiB
 * memory and 10% of the root volume, 1 GiB of ephemeral storage reserved.
 */
export function simulatedNodes(): SimulatedNode[] {
    const defaults = clusterDefaults("prod", "prod", "eks");
    const nodeGroup = "nodeGroup" in defaults ? defaults.nodeGroup : undefined;
    const instanceType = nodeGroup?.instanceTypes[0];
    const facts = instanceType === undefined ? undefined : INSTANCE_TYPES[instanceType];
    if (nodeGroup === undefined || instanceType === undefined || facts === undefined) {
        throw new Error(`tools/k8s/nodes.ts has no sizes for the prod default instance type ${String(instanceType)}: add it to INSTANCE_TYPES`);
    }
    const reservedCpuMillis = 60 + (facts.vcpus > 1 ? 10 : 0) + (facts.vcpus > 2 ? 5 * Math.min(2, facts.vcpus - 2) : 0);
    const reservedMemoryMiB = 11 * facts.maxPods + 255 + 100;
    const diskGiB = nodeGroup.diskSizeGiB;
    return ZONES.map((zone, index) => ({
        name: `nsip-node-${index + 1}`,
        zone,
        instanceType,
        capacity: {
            cpu: String(facts.vcpus),
            memory: `${facts.memoryMiB}Mi`,
            pods: String(facts.maxPods),
            "ephemeral-storage": `${diskGiB}Gi`,
        },
        allocatable: {
            cpu: `${facts.vcpus * 1000 - reservedCpuMillis}m`,
            memory: `${facts.memoryMiB - reservedMemoryMiB}Mi`,
            pods: String(facts.maxPods),
            "ephemeral-storage": `${Math.floor(diskGiB * 0.9 - 1)}Gi`,
        },
    }));
}

export function nodeObject(node: SimulatedNode): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name: node.name,
            annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
                "kubernetes.io/hostname": node.name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": node.instanceType,
                "topology.kubernetes.io/region": REGION,
                "topology.kubernetes.io/zone": node.zone,
                type: "kwok",
            },
        },
        spec: {},
        status: { capacity: node.capacity, allocatable: node.allocatable },
    };
}
