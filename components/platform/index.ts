import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Hardening } from "../../stacks/schema";
import { platformLabels } from "../workload/labels";
import { allowDnsSpec, defaultDenySpec } from "../workload/network-policy";

export interface PlatformArgs {
    namespace: string;
    hardening: Hardening;
    /** Recommended-label values shared by everything in the namespace. */
    instance: string;
    version: string;
    grafanaAdminUser: string;
}

/** Names of the generated credentials' Secrets and their keys, as the workloads reference them. */
export const secretRefs = {
    postgres: { name: "postgres-credentials", userKey: "username", passwordKey: "password", databaseKey: "database" },
    redis: { name: "redis-credentials", passwordKey: "password", authFileKey: "auth.conf" },
    grafana: { name: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" },
    api: { name: "api-jwt", secretKey: "jwt-secret" },
} as const;

export const POSTGRES_USER = "nsip";
export const POSTGRES_DATABASE = "nsip";

/**
 * The namespace (Pod Security Admission from the profile) and the generated credentials. Passwords are
 * made by @pulumi/random, so they live in state as secrets and never in config or the repository.
 */
export class Platform extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /** Secret: exported so people sign in without reading the Kubernetes Secret. */
    public readonly grafanaAdminPassword: pulumi.Output<string>;

    constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:platform:Platform", name, {}, opts);
        const child = { parent: this, provider: opts.provider };

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    labels: {
                        ...platformLabels(args.instance, args.version),
                        "pod-security.kubernetes.io/enforce": args.hardening.podSecurityLevel,
                        "pod-security.kubernetes.io/enforce-version": "latest",
                        "pod-security.kubernetes.io/warn": "restricted",
                        "pod-security.kubernetes.io/warn-version": "latest",
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/audit-version": "latest",
                    },
                },
            },
            child,
        );
        this.namespace = ns.metadata.name;

        // Nothing moves unless a policy allows it: each workload's own policy then opens its rows of the traffic table.
        const policy = (id: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${id}`,
                { metadata: { name: id, namespace: this.namespace, labels: platformLabels(args.instance, args.version) }, spec },
                child,
            );
        policy("default-deny", defaultDenySpec);
        policy("allow-dns", allowDnsSpec);

        const password = (id: string, length: number) =>
            new random.RandomPassword(`${name}-${id}`, { length, special: false }, { parent: this }).result;

        const secret = (id: string, stringData: Record<string, pulumi.Input<string>>) =>
            new k8s.core.v1.Secret(
                `${name}-${id}`,
                {
                    metadata: { name: id, namespace: this.namespace, labels: platformLabels(args.instance, args.version) },
                    type: "Opaque",
                    stringData,
                },
                child,
            );

        secret(secretRefs.postgres.name, {
            [secretRefs.postgres.userKey]: POSTGRES_USER,
            [secretRefs.postgres.passwordKey]: password("postgres-password", 32),
            [secretRefs.postgres.databaseKey]: POSTGRES_DATABASE,
        });
        const redisPassword = password("redis-password", 32);
        secret(secretRefs.redis.name, {
            [secretRefs.redis.passwordKey]: redisPassword,
            // Included by redis.conf, so the password is in neither argv nor a ConfigMap.
            [secretRefs.redis.authFileKey]: pulumi.interpolate`requirepass ${redisPassword}\n`,
        });
        this.grafanaAdminPassword = pulumi.secret(password("grafana-admin-password", 24));
        secret(secretRefs.grafana.name, {
            [secretRefs.grafana.userKey]: args.grafanaAdminUser,
            [secretRefs.grafana.passwordKey]: this.grafanaAdminPassword,
        });
        secret(secretRefs.api.name, { [secretRefs.api.secretKey]: password("api-jwt-secret", 48) });

        this.registerOutputs({ namespace: this.namespace });
    }
}
