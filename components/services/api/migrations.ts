import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { Hardening, Resources } from "../../../stacks/schema";
import { recommendedLabels } from "../../workload/labels";
import { batchPodSpec } from "../../workload/pod";
import { API_UID, apiDatabaseEnv } from "./index";

export interface MigrationJobArgs {
    /** The namespace resource's name output (so the Job waits for it) and the plain name for DNS. */
    namespace: pulumi.Input<string>;
    namespaceName: string;
    instance: string;
    version: string;
    /** The api image by digest: the Job runs `node dist/migrate.js` from exactly the image being rolled out. */
    image: pulumi.Input<string>;
    hardening: Hardening;
    resources: Resources;
    /** The Job pod's own policy: postgres and nothing else. */
    networkPolicy: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/** Pod identity of the Job: the traffic table lets `migrations` reach postgres and nothing else. */
export const MIGRATIONS_NAME = "migrations";

/**
 * Schema migrations as a Job the api Deployment depends on: Pulumi waits for it to complete before
 * rolling the api. Named after the image digest, so a new image runs it again and an unchanged one is a no-op.
 */
export class MigrationJob extends pulumi.ComponentResource {
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: MigrationJobArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:MigrationJob", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const labels = recommendedLabels({ name: MIGRATIONS_NAME, component: "migration", instance: args.instance, version: args.version });
        const namespace = args.namespace;

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: { name: MIGRATIONS_NAME, namespace, labels }, automountServiceAccountToken: false },
            child,
        );

        const pod = batchPodSpec(
            {
                name: MIGRATIONS_NAME,
                stateless: false,
                runAsUser: API_UID,
                containers: [
                    {
                        name: "migrate",
                        image: args.image,
                        command: ["node", "dist/migrate.js"],
                        ports: [],
                        env: apiDatabaseEnv(args.namespaceName),
                        resources: args.resources,
                        writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                    },
                ],
            },
            args.hardening,
            serviceAccount.metadata.name,
        );

        this.job = new k8s.batch.v1.Job(
            `${name}-job`,
            {
                metadata: {
                    name: pulumi.output(args.image).apply((image) => `api-migrations-${createHash("sha256").update(image).digest("hex").slice(0, 10)}`),
                    namespace,
                    labels,
                },
                spec: {
                    backoffLimit: 4,
                    activeDeadlineSeconds: 600,
                    template: { metadata: { labels }, spec: pod },
                },
            },
            // The component's dependsOn (postgres up, secrets in place) does not reach its children by itself.
            { ...child, dependsOn: opts.dependsOn },
        );
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, { metadata: { name: MIGRATIONS_NAME, namespace, labels }, spec: args.networkPolicy }, child);
        this.registerOutputs({ jobName: this.job.metadata.name });
    }
}
