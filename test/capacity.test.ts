import { strict as assert } from "assert";
import { ADD_ON_DAEMONSET_PODS, ADD_ON_DEPLOYMENT_PODS } from "../components/cluster/capacity";
import { clusterDefaults } from "../stacks/profiles";
import { simulatedNodes } from "../tools/k8s/nodes";
import { renderToTemp } from "./support/render-helper";
import type { Manifest } from "./support/rendered";
import { manifestsOf } from "./support/rendered";

/**
 * Prod at full scale-out: every workload at its HPA maximum (or fixed replicas), the Jobs running at once,
 * plus the add-ons' Deployments, placed first-fit-decreasing onto the node group's maximum of nodes, each
 * already carrying the add-on DaemonSets. Node allocatable is the EKS AMI's (tools/k8s/nodes.ts).
 */

interface PodRequest {
    owner: string;
    cpuMillis: number;
    memoryMiB: number;
}

function cpuMillis(quantity: string | undefined): number {
    if (quantity === undefined) return 0;
    return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

function memoryMiB(quantity: string | undefined): number {
    if (quantity === undefined) return 0;
    const units: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };
    const match = /^([0-9.]+)(Ki|Mi|Gi)$/.exec(quantity);
    assert.ok(match, `memory quantity ${quantity}`);
    return Number(match[1]) * units[match[2]];
}

/** A pod's effective request: its containers' sum, or its largest init container if that is more. */
function podRequest(owner: string, podSpec: Manifest): PodRequest {
    const sum = (containers: Manifest[] = [], unit: (q: string | undefined) => number, key: "cpu" | "memory") =>
        containers.map((c) => unit(c.resources?.requests?.[key]));
    const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
    return {
        owner,
        cpuMillis: Math.max(total(sum(podSpec.containers, cpuMillis, "cpu")), ...sum(podSpec.initContainers, cpuMillis, "cpu"), 0),
        memoryMiB: Math.max(total(sum(podSpec.containers, memoryMiB, "memory")), ...sum(podSpec.initContainers, memoryMiB, "memory"), 0),
    };
}

function prodPodsAtMaximum(manifests: Manifest[]): PodRequest[] {
    const hpaMax = new Map(manifests.filter((m) => m.kind === "HorizontalPodAutoscaler").map((h) => [`${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`, h.spec.maxReplicas as number]));
    const pods: PodRequest[] = [];
    for (const m of manifests) {
        const name = `${m.kind}/${m.metadata.name}`;
        if (m.kind === "Deployment" || m.kind === "StatefulSet") {
            const replicas = hpaMax.get(name) ?? m.spec.replicas ?? 1;
            for (let i = 0; i < replicas; i++) pods.push(podRequest(name, m.spec.template.spec));
        } else if (m.kind === "Job") {
            pods.push(podRequest(name, m.spec.template.spec));
        } else if (m.kind === "CronJob") {
            pods.push(podRequest(name, m.spec.jobTemplate.spec.template.spec));
        }
    }
    return pods;
}

describe("prod capacity: HPA maximums plus the add-ons fit the node group's maximum", function () {
    this.timeout(180_000);

    it("places every pod on nodeGroup.maxSize nodes (CPU, memory, pod slots), and not on minSize", async () => {
        const manifests = manifestsOf(await renderToTemp("prod"));
        const prod = clusterDefaults("prod", "prod", "eks");
        assert.ok(prod.provider === "eks" && prod.nodeGroup);
        const node = simulatedNodes()[0];
        const daemonCpu = ADD_ON_DAEMONSET_PODS.reduce((a, p) => a + p.cpuMillis, 0);
        const daemonMemory = ADD_ON_DAEMONSET_PODS.reduce((a, p) => a + p.memoryMiB, 0);
        const free = {
            cpuMillis: cpuMillis(node.allocatable.cpu) - daemonCpu,
            memoryMiB: memoryMiB(node.allocatable.memory) - daemonMemory,
            pods: Number(node.allocatable.pods) - ADD_ON_DAEMONSET_PODS.length,
        };

        const ours = prodPodsAtMaximum(manifests);
        // At their maximums the api runs 10 pods and the analyzer 6; the autoscaler itself is among the pods.
        assert.equal(ours.filter((p) => p.owner === "Deployment/api").length, 10);
        assert.equal(ours.filter((p) => p.owner === "Deployment/analyzer").length, 6);
        assert.ok(ours.some((p) => p.owner === "Deployment/cluster-autoscaler"));
        const pods = [...ours, ...ADD_ON_DEPLOYMENT_PODS.map((p) => ({ owner: `add-on ${p.pod}`, cpuMillis: p.cpuMillis, memoryMiB: p.memoryMiB }))];

        const place = (nodeCount: number): PodRequest[] => {
            const nodes = Array.from({ length: nodeCount }, () => ({ ...free }));
            const unplaced: PodRequest[] = [];
            for (const pod of [...pods].sort((a, b) => b.cpuMillis - a.cpuMillis || b.memoryMiB - a.memoryMiB)) {
                const target = nodes.find((n) => n.cpuMillis >= pod.cpuMillis && n.memoryMiB >= pod.memoryMiB && n.pods >= 1);
                if (!target) {
                    unplaced.push(pod);
                    continue;
                }
                target.cpuMillis -= pod.cpuMillis;
                target.memoryMiB -= pod.memoryMiB;
                target.pods -= 1;
            }
            return unplaced;
        };
        assert.deepEqual(place(prod.nodeGroup.maxSize).map((p) => p.owner), [], `${pods.length} pods on ${prod.nodeGroup.maxSize} nodes`);
        // Without node autoscaling the scale-out would stay Pending: the minimum does not hold it.
        assert.ok(place(prod.nodeGroup.minSize).length > 0, "the HPA maximums need more than the node group's minimum");
    });
});
