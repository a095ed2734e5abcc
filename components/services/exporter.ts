import type * as k8s from "@pulumi/kubernetes";
import type { ContainerSpec } from "../workload";
import { httpReadiness, tcpLiveness } from "./probes";

/** Exporters are tiny and scrape-driven: one fixed size fits every environment. */
const exporterResources = {
    requests: { cpu: "10m", memory: "32Mi", ephemeralStorage: "16Mi" },
    limits: { cpu: "100m", memory: "64Mi", ephemeralStorage: "64Mi" },
};

/** A Prometheus exporter sidecar; its port is named `metrics`, the name Prometheus scrapes. */
export function exporterSidecar(args: {
    name: string;
    image: string;
    port: number;
    args?: string[];
    env?: k8s.types.input.core.v1.EnvVar[];
}): ContainerSpec {
    return {
        name: args.name,
        image: args.image,
        args: args.args,
        env: args.env,
        ports: [{ name: "metrics", containerPort: args.port }],
        resources: exporterResources,
        probes: { readiness: httpReadiness("/metrics", args.port), liveness: tcpLiveness(args.port) },
        writablePaths: [],
    };
}
