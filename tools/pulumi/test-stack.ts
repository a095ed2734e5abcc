import type { ConfigMap } from "@pulumi/pulumi/automation";

/**
 * The stack the engine test and benchmark run: an existing cluster (the test control plane's
 * kubeconfig, as a secret), prebuilt images by digest, the dev environment hardened with prod's
 * PDBs, zone spread, zero-downtime rollouts and api HPA, but without data protection, so that
 * destroy can remove everything. Its namespace enforces Pod Security "baseline" and warns at
 * "restricted" (the policy pack takes a "restricted" namespace for prod, and then demands
 * protected data).
 */

export const ENGINE_TEST_NAMESPACE = "nsip-engine";

/** A syntactically real digest reference; nothing pulls it (kwok runs no container). */
export function imageDigest(app: string, seed: string): string {
    return `registry.test.example/nsip/${app}@sha256:${seed.repeat(64 / seed.length)}`;
}

export const ENGINE_TEST_IMAGES = { api: imageDigest("api", "a1"), frontend: imageDigest("frontend", "f2"), analyzer: imageDigest("analyzer", "b3") };

/** Keys as `pulumi config set --path` takes them. */
export function engineTestConfig(kubeconfig: string): ConfigMap {
    const value = (v: string | number | boolean) => ({ value: String(v) });
    return {
        "nsip:environment": value("dev"),
        "nsip:namespace": value(ENGINE_TEST_NAMESPACE),
        "nsip:cluster.provider": value("existing"),
        "nsip:cluster.kubeconfig": { value: kubeconfig, secret: true },
        "nsip:edge.hostname": value("nsip.engine.test.example"),
        "nsip:images.prebuilt.api": value(ENGINE_TEST_IMAGES.api),
        "nsip:images.prebuilt.frontend": value(ENGINE_TEST_IMAGES.frontend),
        "nsip:images.prebuilt.analyzer": value(ENGINE_TEST_IMAGES.analyzer),
        "nsip:hardening.podDisruptionBudgets": value(true),
        "nsip:hardening.topologySpread": value(true),
        "nsip:hardening.zeroDowntimeRollouts": value(true),
        "nsip:services.api.replicas": value(3),
        "nsip:services.api.autoscaling.minReplicas": value(3),
        "nsip:services.api.autoscaling.maxReplicas": value(10),
        "nsip:services.api.autoscaling.targetCpuUtilization": value(70),
        "nsip:services.frontend.replicas": value(2),
    };
}
