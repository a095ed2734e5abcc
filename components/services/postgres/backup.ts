import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import * as path from "path";
import type { Hardening, Resources } from "../../../stacks/schema";
import { cronJob } from "../../workload/cron-job";
import { recommendedLabels } from "../../workload/labels";
import { DATA_VOLUME, PodContainer } from "../../workload/pod";
import { apiDatabaseEnv } from "../api";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { BACKUP_PREFIX } from "./backup-storage";
import { POSTGRES_UID } from "./index";

/** Where the CronJob writes: the stack's S3 bucket (EKS, Pod Identity), any S3 API with static keys, or a PVC. */
export type BackupDestination =
    | { kind: "s3"; bucketName: pulumi.Input<string>; region: string }
    | {
          kind: "s3Compatible";
          endpoint: string;
          bucket: string;
          region: string;
          writer: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
          reader: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
      }
    | { kind: "pvc"; size: string; storageClassName?: pulumi.Input<string> };

export interface PostgresBackupArgs {
    /** The namespace resource's name output (so the CronJob waits for it) and the plain name for DNS. */
    namespace: pulumi.Input<string>;
    namespaceName: string;
    instance: string;
    hardening: Hardening;
    /** Cron schedule, in UTC. */
    schedule: string;
    retentionDays: number;
    destination: BackupDestination;
    /** The Job pod's own policy: postgres and its destination, nothing else. */
    networkPolicy: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/** Pod identity of the CronJob: its ServiceAccount, the Pod Identity association's and the traffic table's name. */
export const BACKUP_NAME = "postgres-backup";
/** The traffic table's peer for the backup pods. */
export const BACKUP_PEER = "backup";
/** The backup PVC of a `pvc` destination. */
export const BACKUP_CLAIM = "postgres-backups";
/** The scripts the backup and restore pods run (components/services/postgres/scripts), mounted at /scripts. */
export const BACKUP_SCRIPTS_CONFIGMAP = "postgres-backup-scripts";
/** The writer key pair of an `s3Compatible` destination. */
export const BACKUP_S3_SECRET = "postgres-backup-s3";

export const SCRIPTS_VOLUME = "scripts";
export const SCRIPTS_DIR = "/scripts";
const DUMP_DIR = "/backup";
/** Largest dump a pod may hold; the emptyDirs and the containers' ephemeral-storage limits follow it. */
export const DUMP_SIZE_LIMIT = "20Gi";
const SCRIPT_FILES = ["pg-lib.sh", "pg-backup.sh", "pg-restore.sh", "pg-restore-job.sh", "s3-backup.sh"];

/** Resources of the backup and restore containers: a dump streams, the limit that matters is the dump's size on disk. */
export const backupJobResources = (ephemeralLimit: string): Resources => ({
    requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "1Gi" },
    limits: { cpu: "1", memory: "512Mi", ephemeralStorage: ephemeralLimit },
});

/** The scripts as ConfigMap data, read from the files the tests run against real PostgreSQL and a real S3 API. */
export function backupScripts(): Record<string, string> {
    return Object.fromEntries(SCRIPT_FILES.map((file) => [file, readFileSync(path.join(__dirname, "scripts", file), "utf8")]));
}

type EnvVar = pulumi.Input<k8s.types.input.core.v1.EnvVar>;
/** A destination the AWS CLI talks to: the stack's bucket or an S3-compatible endpoint. */
export type S3Destination = Exclude<BackupDestination, { kind: "pvc" }>;

/**
 * The AWS CLI's environment for a backup store. `location` names the bucket, prefix and region. `credentials` is
 * empty on EKS (Pod Identity); on an S3-compatible endpoint it holds the endpoint and the chosen key pair, read from
 * a Secret of its own (`secretName`), so the backup's writer and the restore's reader never share one.
 */
export function s3StoreEnv(
    name: string,
    args: { destination: S3Destination; keyPair: "writer" | "reader"; secretName: string; namespace: pulumi.Input<string>; labels: Record<string, string> },
    opts: pulumi.CustomResourceOptions,
): { location: EnvVar[]; credentials: EnvVar[] } {
    const dest = args.destination;
    const location: EnvVar[] = [
        { name: "BUCKET", value: dest.kind === "s3" ? dest.bucketName : dest.bucket },
        { name: "PREFIX", value: BACKUP_PREFIX },
        { name: "AWS_REGION", value: dest.region },
        { name: "HOME", value: "/tmp" },
    ];
    if (dest.kind === "s3") return { location, credentials: [] };
    const keys = dest[args.keyPair];
    const secret = new k8s.core.v1.Secret(
        `${name}-s3-credentials`,
        {
            metadata: { name: args.secretName, namespace: args.namespace, labels: args.labels },
            type: "Opaque",
            stringData: { AWS_ACCESS_KEY_ID: pulumi.secret(keys.accessKeyId), AWS_SECRET_ACCESS_KEY: pulumi.secret(keys.secretAccessKey) },
        },
        opts,
    );
    const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: secret.metadata.name, key } } });
    return { location, credentials: [{ name: "AWS_ENDPOINT_URL", value: dest.endpoint }, fromSecret("AWS_ACCESS_KEY_ID"), fromSecret("AWS_SECRET_ACCESS_KEY")] };
}

/** The scripts' ConfigMap as a volume: executable, mounted read-only at SCRIPTS_DIR. */
export const scriptsVolumeOf = (configMap: pulumi.Input<string>): k8s.types.input.core.v1.Volume => ({ name: SCRIPTS_VOLUME, configMap: { name: configMap, defaultMode: 0o555 } });

/**
 * Scheduled PostgreSQL backups. `pg-backup.sh` dumps with the pinned postgres image and writes the dump plus
 * its manifest; on a PVC that is the whole job (retention included), on S3 the AWS CLI then uploads both
 * (`s3-backup.sh upload`). Retention: the PVC and S3-compatible targets prune in the scripts, the EKS bucket
 * by its lifecycle rule (the Pod Identity role may only put objects).
 */
export class PostgresBackup extends pulumi.ComponentResource {
    public readonly cronJob: k8s.batch.v1.CronJob;
    /** The scripts' ConfigMap, which the restore template mounts too. */
    public readonly scriptsConfigMap: pulumi.Output<string>;
    /** The PVC holding the backups (a `pvc` destination only). */
    public readonly claimName?: pulumi.Output<string>;

    constructor(name: string, args: PostgresBackupArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:PostgresBackup", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const version = imageTag("postgres");
        // The traffic table's name, so the NetworkPolicies select the pods; the objects are named for Pod Identity.
        const labels = recommendedLabels({ name: BACKUP_PEER, component: "backup", instance: args.instance, version });
        const namespace = args.namespace;
        const dest = args.destination;
        const protectData = args.hardening.protectData ? { protect: true, retainOnDelete: true } : {};

        // No API token; on EKS Pod Identity's webhook mounts its own projected token (audience pods.eks.amazonaws.com).
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: BACKUP_NAME, namespace, labels }, automountServiceAccountToken: false }, child);
        const scripts = new k8s.core.v1.ConfigMap(`${name}-scripts`, { metadata: { name: BACKUP_SCRIPTS_CONFIGMAP, namespace, labels }, data: backupScripts() }, child);
        this.scriptsConfigMap = scripts.metadata.name;
        const scriptsVolume = scriptsVolumeOf(scripts.metadata.name);
        const scriptsMount = { volume: SCRIPTS_VOLUME, mountPath: SCRIPTS_DIR };

        const dump = (backupDir: string, retention: boolean): PodContainer => ({
            name: "pg-dump",
            image: thirdPartyImages.postgres,
            command: [`${SCRIPTS_DIR}/pg-backup.sh`],
            ports: [],
            env: [
                ...apiDatabaseEnv(args.namespaceName),
                { name: "BACKUP_DIR", value: backupDir },
                ...(retention ? [{ name: "RETENTION_DAYS", value: String(args.retentionDays) }] : []),
            ],
            resources: backupJobResources(DUMP_SIZE_LIMIT),
            writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
            mounts: [scriptsMount],
            dataMountPath: backupDir,
        });

        let volumes: k8s.types.input.core.v1.Volume[];
        let initContainers: PodContainer[] = [];
        let containers: PodContainer[];
        if (dest.kind === "pvc") {
            const claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-claim`,
                {
                    metadata: { name: BACKUP_CLAIM, namespace, labels, annotations: { "pulumi.com/skipAwait": "true" } },
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: dest.storageClassName, resources: { requests: { storage: dest.size } } },
                },
                { ...child, ...protectData },
            );
            this.claimName = claim.metadata.name;
            volumes = [scriptsVolume, { name: DATA_VOLUME, persistentVolumeClaim: { claimName: claim.metadata.name } }];
            containers = [dump("/backups", true)];
        } else {
            const store = s3StoreEnv(name, { destination: dest, keyPair: "writer", secretName: BACKUP_S3_SECRET, namespace, labels }, child);
            const s3Env = [
                ...store.location,
                ...store.credentials,
                // The EKS bucket expires dumps by lifecycle rule; elsewhere the upload prunes.
                ...(dest.kind === "s3Compatible" ? [{ name: "RETENTION_DAYS", value: String(args.retentionDays) }] : []),
            ];
            volumes = [scriptsVolume, { name: DATA_VOLUME, emptyDir: { sizeLimit: DUMP_SIZE_LIMIT } }];
            initContainers = [dump(DUMP_DIR, false)];
            containers = [
                {
                    name: "upload",
                    image: thirdPartyImages.awsCli,
                    command: [`${SCRIPTS_DIR}/s3-backup.sh`, "upload", DUMP_DIR],
                    ports: [],
                    env: s3Env,
                    resources: backupJobResources(DUMP_SIZE_LIMIT),
                    writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                    mounts: [scriptsMount, { volume: DATA_VOLUME, mountPath: DUMP_DIR }],
                },
            ];
        }

        this.cronJob = cronJob(
            `${name}-cronjob`,
            {
                metadata: { name: BACKUP_NAME, namespace, labels },
                // A run missed by more than an hour (controller down, upgrade) is skipped, not started late at peak time.
                timing: { schedule: args.schedule, startingDeadlineSeconds: 3600 },
                // The postgres image's user; the AWS CLI runs as any uid with HOME on an emptyDir.
                pod: { name: BACKUP_NAME, stateless: false, runAsUser: POSTGRES_UID, volumes, initContainers, containers },
                hardening: args.hardening,
                serviceAccountName: serviceAccount.metadata.name,
                backoffLimit: 2,
                activeDeadlineSeconds: 3 * 3600,
                historyLimit: 3,
            },
            // The component's dependsOn is not inherited: the first run needs the Pod Identity association and postgres.
            { ...child, dependsOn: opts.dependsOn },
        );
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, { metadata: { name: BACKUP_NAME, namespace, labels }, spec: args.networkPolicy }, child);
        this.registerOutputs({ cronJobName: this.cronJob.metadata.name });
    }
}
