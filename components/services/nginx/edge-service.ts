import type { EdgeExposure } from "../../cluster/types";
import type { ServicePort } from "../../workload/spec";
import { ports } from "../ports";

/** The edge's LoadBalancer Service, in front of nginx beside its in-cluster Service. */
export const EDGE_SERVICE_NAME = "nginx-public";

export interface EdgeServiceShape {
    annotations: Record<string, string>;
    ports: (ServicePort & { protocol: "TCP" })[];
}

/**
 * The public face of the edge: a LoadBalancer Service whose ports depend on where it runs.
 * On EKS an NLB terminates TLS with the ACM certificate and sends 443 to the traffic port and 80 to the
 * redirect port; elsewhere port 80 goes straight to the traffic port.
 */
export function edgeServiceShape(exposure: EdgeExposure, tlsCertificateArn: string | undefined): EdgeServiceShape {
    const plain: EdgeServiceShape = { annotations: {}, ports: [{ name: "http", port: 80, targetPort: ports.nginx.http, protocol: "TCP" }] };
    if (exposure.kind !== "aws-nlb") return plain;

    const nlb = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
        "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
    };
    if (!tlsCertificateArn) return { ...plain, annotations: nlb };
    return {
        annotations: {
            ...nlb,
            "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": tlsCertificateArn,
            "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "443",
            "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
        ports: [
            { name: "https", port: 443, targetPort: ports.nginx.http, protocol: "TCP" },
            { name: "http", port: 80, targetPort: ports.nginx.redirect, protocol: "TCP" },
        ],
    };
}
