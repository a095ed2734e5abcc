import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Hardening, Resources } from "../../../stacks/schema";
import { recommendedLabels } from "../../workload/labels";
import { DATA_VOLUME, batchPodSpec } from "../../workload/pod";
import { apiDatabaseEnv } from "../api";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { BACKUP_PREFIX } from "./backup-storage";
import { POSTGRES_UID } from "./index";

export interface PostgresBackupArgs {
    /** The namespace resource's name output (so the CronJob waits for it) and the plain name for DNS. */
    namespace: pulumi.Input<string>;
    namespaceName: string;
    instance: string;
    hardening: Hardening;
    /** Cron schedule (in the cluster's time zone, UTC on EKS). */
    schedule: string;
    bucketName: pulumi.Input<string>;
    region: string;
    /** The Job pod's own policy: postgres, S3 and the Pod Identity agent, nothing else. */
    networkPolicy: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/** Pod identity of the CronJob: its ServiceAccount, the Pod Identity association's and the traffic table's name. */
export const BACKUP_NAME = "postgres-backup";
/** The traffic table's peer for the backup pods. */
export const BACKUP_PEER = "backup";

const DUMP_DIR = "/backup";
const DUMP_FILE = `${DUMP_DIR}/postgres.dump`;
/** Largest dump the pod may hold; the emptyDir and both containers' ephemeral-storage limits follow it. */
const DUMP_SIZE_LIMIT = "20Gi";

const resources = (ephemeralLimit: string): Resources => ({
    requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "1Gi" },
    limits: { cpu: "1", memory: "512Mi", ephemeralStorage: ephemeralLimit },
});

/**
 * A nightly `pg_dump --format=custom` uploaded to S3: an init container from the postgres image writes the
 * dump into an emptyDir, then the AWS CLI copies it to `s3://<bucket>/postgres/<UTC timestamp>.dump` with
 * the credentials EKS Pod Identity injects for the `postgres-backup` ServiceAccount.
 */
export class PostgresBackup extends pulumi.ComponentResource {
    public readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: PostgresBackupArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:PostgresBackup", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const version = imageTag("postgres");
        // The traffic table's name, so the NetworkPolicies select the pods; the objects are named for Pod Identity.
        const labels = recommendedLabels({ name: BACKUP_PEER, component: "backup", instance: args.instance, version });
        const namespace = args.namespace;

        // No API token: Pod Identity's webhook mounts its own projected token (audience pods.eks.amazonaws.com).
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: BACKUP_NAME, namespace, labels }, automountServiceAccountToken: false }, child);

        const pod = batchPodSpec(
            {
                name: BACKUP_NAME,
                stateless: false,
                // The postgres image's user; the AWS CLI runs as any uid with HOME on an emptyDir.
                runAsUser: POSTGRES_UID,
                volumes: [{ name: DATA_VOLUME, emptyDir: { sizeLimit: DUMP_SIZE_LIMIT } }],
                initContainers: [
                    {
                        name: "pg-dump",
                        image: thirdPartyImages.postgres,
                        command: ["pg_dump", "--format=custom", `--file=${DUMP_FILE}`],
                        ports: [],
                        env: apiDatabaseEnv(args.namespaceName),
                        resources: resources(DUMP_SIZE_LIMIT),
                        writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                        dataMountPath: DUMP_DIR,
                    },
                ],
                containers: [
                    {
                        name: "upload",
                        image: thirdPartyImages.awsCli,
                        command: [
                            "/bin/sh",
                            "-ec",
                            `aws s3 cp --only-show-errors "${DUMP_FILE}" "s3://$BUCKET/${BACKUP_PREFIX}$(date -u +%Y%m%dT%H%M%SZ).dump"`,
                        ],
                        ports: [],
                        env: [
                            { name: "BUCKET", value: args.bucketName },
                            { name: "AWS_REGION", value: args.region },
                            { name: "HOME", value: "/tmp" },
                        ],
                        resources: resources(DUMP_SIZE_LIMIT),
                        writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                        mounts: [{ volume: DATA_VOLUME, mountPath: DUMP_DIR }],
                    },
                ],
            },
            args.hardening,
            serviceAccount.metadata.name,
        );

        this.cronJob = new k8s.batch.v1.CronJob(
            `${name}-cronjob`,
            {
                metadata: { name: BACKUP_NAME, namespace, labels },
                spec: {
                    schedule: args.schedule,
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    // A run missed by more than an hour (controller down, upgrade) is skipped, not started late at peak time.
                    startingDeadlineSeconds: 3600,
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        metadata: { labels },
                        spec: {
                            backoffLimit: 2,
                            activeDeadlineSeconds: 3 * 3600,
                            template: { metadata: { labels }, spec: pod },
                        },
                    },
                },
            },
            // The component's dependsOn is not inherited: the first run needs the Pod Identity association and postgres.
            { ...child, dependsOn: opts.dependsOn },
        );
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, { metadata: { name: BACKUP_NAME, namespace, labels }, spec: args.networkPolicy }, child);
        this.registerOutputs({ cronJobName: this.cronJob.metadata.name });
    }
}
