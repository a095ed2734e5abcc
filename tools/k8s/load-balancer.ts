import { KubeClient, KubeObject } from "./client";
import { PollLoop } from "./poll-loop";

/**
 * Stands in for the cluster's load-balancer implementation (the AWS Load Balancer Controller on
 * EKS, ServiceLB on k3s, MetalLB elsewhere): gives every LoadBalancer Service an ingress address
 * in its status, as those do once the balancer exists. Pulumi waits for that address before it
 * calls a LoadBalancer Service created. The addresses come from TEST-NET-2 and lead nowhere.
 */

interface Service extends KubeObject {
    metadata: KubeObject["metadata"] & { namespace: string };
    spec: { type?: string };
    status?: { loadBalancer?: { ingress?: unknown[] } };
}

export class LoadBalancerController {
    readonly assigned: string[] = [];
    readonly loop = new PollLoop(() => this.reconcile());
    private next = 10;

    constructor(private readonly client: KubeClient) {}

    private async reconcile(): Promise<void> {
        for (const service of await this.client.list<Service>("v1", "Service")) {
            if (service.spec.type !== "LoadBalancer" || (service.status?.loadBalancer?.ingress ?? []).length > 0) {
                continue;
            }
            const ip = `198.51.100.${this.next++}`;
            const path = `${await this.client.pathOf("v1", "Service", service.metadata.namespace, service.metadata.name)}/status`;
            await this.client.call("PATCH", path, { status: { loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } } }, "application/merge-patch+json");
            this.assigned.push(`${service.metadata.namespace}/${service.metadata.name}=${ip}`);
        }
    }
}
