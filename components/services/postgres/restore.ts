import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Hardening } from "../../../stacks/schema";
import { recommendedLabels } from "../../workload/labels";
import { cronJob } from "../../workload/cron-job";
import { DATA_VOLUME, PodContainer } from "../../workload/pod";
import { apiDatabaseEnv } from "../api";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { BACKUP_CLAIM, BackupDestination, backupJobResources, DUMP_SIZE_LIMIT, s3StoreEnv, SCRIPTS_DIR, SCRIPTS_VOLUME, scriptsVolumeOf } from "./backup";
import { POSTGRES_UID } from "./index";
import { RESTORE_CONTAINER, RESTORE_NAME, RESTORE_PEER, RESTORE_SAFETY_CLAIM } from "./restore-names";

export interface PostgresRestoreArgs {
    /** The namespace resource's name output (so the objects wait for it) and the plain name for DNS. */
    namespace: pulumi.Input<string>;
    namespaceName: string;
    instance: string;
    hardening: Hardening;
    destination: BackupDestination;
    /** The backup scripts' ConfigMap (PostgresBackup): the restore runs the same, tested scripts. */
    scriptsConfigMap: pulumi.Input<string>;
    /** The safety dumps' claim: the cluster's (or the configured) storage class. */
    storageClassName?: pulumi.Input<string>;
    /** The restore pod's own policy: postgres and the backups' store, nothing else. */
    networkPolicy: k8s.types.input.networking.v1.NetworkPolicySpec;
}

export { RESTORE_NAME, RESTORE_PEER } from "./restore-names";
/** The read-only key pair of an `s3Compatible` destination. */
export const RESTORE_S3_SECRET = "postgres-restore-s3";
/** Size of the safety claim: a few dumps of the database, which the backup pods already cap at DUMP_SIZE_LIMIT. */
const SAFETY_CLAIM_SIZE = "20Gi";
const SAFETY_DIR = "/safety";
const BACKUPS_DIR = "/backups";
const FETCHED_DIR = "/restore";
const FETCHED_VOLUME = "fetched";

/**
 * The restore as a suspended CronJob (cronJob, timed as a template), which `ops restore` instantiates as Jobs, choosing
 * the mode, the backup and its source through RESTORE_MODE, RESTORE_FROM and RESTORE_SOURCE. It never runs on a schedule.
 *
 * Its credentials can only read backups: on EKS a Pod Identity role with GetObject/ListBucket (PostgresBackupStorage),
 * on an S3-compatible store the `reader` key pair, on a PVC a read-only mount of the backup claim. The safety dump of
 * the database it replaces goes to a claim of its own (`postgres-restore-safety`): the restore needs no write access
 * to the backups, the undo copy does not depend on the store being restored from, and no retention prunes it.
 */
export class PostgresRestore extends pulumi.ComponentResource {
    public readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: PostgresRestoreArgs, opts: pulumi.ComponentResourceOptions & { provider: k8s.Provider }) {
        super("nsip:services:PostgresRestore", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const labels = recommendedLabels({ name: RESTORE_PEER, component: "restore", instance: args.instance, version: imageTag("postgres") });
        const namespace = args.namespace;
        const dest = args.destination;
        const protectData = args.hardening.protectData ? { protect: true, retainOnDelete: true } : {};

        // No API token; on EKS Pod Identity's webhook mounts its own projected token for the reader role.
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: RESTORE_NAME, namespace, labels }, automountServiceAccountToken: false }, child);
        const safetyClaim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-safety-claim`,
            {
                metadata: { name: RESTORE_SAFETY_CLAIM, namespace, labels, annotations: { "pulumi.com/skipAwait": "true" } },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.storageClassName, resources: { requests: { storage: SAFETY_CLAIM_SIZE } } },
            },
            { ...child, ...protectData },
        );

        const scratch = [{ path: "/tmp", sizeLimit: "64Mi" }];
        // `ops restore` sets these on each Job it creates, in every container that has them; the template's values only
        // make a stray Job harmless.
        const backupChoice = [
            { name: "RESTORE_FROM", value: "latest" },
            { name: "RESTORE_SOURCE", value: "backups" },
        ];
        const restoreContainer = (backupsDir: string, backupsMount: PodContainer["mounts"]): PodContainer => ({
            name: RESTORE_CONTAINER,
            image: thirdPartyImages.postgres,
            command: [`${SCRIPTS_DIR}/pg-restore-job.sh`],
            ports: [],
            env: [
                ...apiDatabaseEnv(args.namespaceName),
                { name: "RESTORE_MODE", value: "plan" },
                ...backupChoice,
                { name: "BACKUP_SOURCE_DIR", value: backupsDir },
                { name: "SAFETY_DIR", value: SAFETY_DIR },
            ],
            resources: backupJobResources(DUMP_SIZE_LIMIT),
            writablePaths: scratch,
            mounts: [{ volume: SCRIPTS_VOLUME, mountPath: SCRIPTS_DIR }, ...(backupsMount ?? [])],
            dataMountPath: SAFETY_DIR,
            terminationMessagePolicy: "FallbackToLogsOnError",
        });

        const volumes: k8s.types.input.core.v1.Volume[] = [scriptsVolumeOf(args.scriptsConfigMap), { name: DATA_VOLUME, persistentVolumeClaim: { claimName: safetyClaim.metadata.name } }];
        let initContainers: PodContainer[] = [];
        let container: PodContainer;
        if (dest.kind === "pvc") {
            // The backup claim, read-only: this pod cannot change a backup.
            volumes.push({ name: "backups", persistentVolumeClaim: { claimName: BACKUP_CLAIM, readOnly: true } });
            container = restoreContainer(BACKUPS_DIR, [{ volume: "backups", mountPath: BACKUPS_DIR }]);
        } else {
            const store = s3StoreEnv(name, { destination: dest, keyPair: "reader", secretName: RESTORE_S3_SECRET, namespace, labels }, child);
            const s3Env = [...store.location, ...backupChoice, ...store.credentials];
            volumes.push({ name: FETCHED_VOLUME, emptyDir: { sizeLimit: DUMP_SIZE_LIMIT } });
            initContainers = [
                {
                    name: "fetch",
                    image: thirdPartyImages.awsCli,
                    // `sh -c` so the backup comes from the Job's RESTORE_FROM; exit 3 when it does not exist. Nothing to
                    // fetch when the Job reads the safety dumps (undoing a restore) or only lists.
                    command: ["sh", "-c", `[ "$RESTORE_SOURCE" = safety ] || exec ${SCRIPTS_DIR}/s3-backup.sh fetch "$RESTORE_FROM" ${FETCHED_DIR}`],
                    ports: [],
                    env: s3Env,
                    resources: backupJobResources(DUMP_SIZE_LIMIT),
                    writablePaths: scratch,
                    mounts: [{ volume: SCRIPTS_VOLUME, mountPath: SCRIPTS_DIR }, { volume: FETCHED_VOLUME, mountPath: FETCHED_DIR, writable: true }],
                    terminationMessagePolicy: "FallbackToLogsOnError",
                },
            ];
            container = restoreContainer(FETCHED_DIR, [{ volume: FETCHED_VOLUME, mountPath: FETCHED_DIR }]);
        }

        this.cronJob = cronJob(
            `${name}-template`,
            {
                metadata: { name: RESTORE_NAME, namespace, labels },
                timing: { instantiatedBy: "npm run ops -- restore" },
                pod: { name: RESTORE_NAME, stateless: false, runAsUser: POSTGRES_UID, volumes, initContainers, containers: [container] },
                hardening: args.hardening,
                serviceAccountName: serviceAccount.metadata.name,
                // A failed restore is rolled back; whether to try again is the operator's decision.
                backoffLimit: 0,
                activeDeadlineSeconds: 3 * 3600,
                // The CronJob controller prunes finished Jobs it owns: keep the last restores' Jobs for their logs.
                historyLimit: 10,
            },
            // The component's dependsOn (postgres, the scripts, on EKS the reader's Pod Identity association) is not inherited.
            { ...child, dependsOn: opts.dependsOn },
        );
        new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, { metadata: { name: RESTORE_NAME, namespace, labels }, spec: args.networkPolicy }, child);
        this.registerOutputs({ cronJobName: this.cronJob.metadata.name });
    }
}
