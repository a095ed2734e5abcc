import { z } from "zod";
import type { ConfigIssue } from "./prod-floor";

/**
 * `nsip:backup`: where PostgreSQL backups go, how often and for how long. A separate piece of the
 * config schema (stacks/schema.ts includes it) so the backup keys live in one place.
 *
 * Targets: `s3` is the stack's own bucket on EKS (Pod Identity credentials); `pvc` a PersistentVolumeClaim
 * in the namespace (any cluster; the dev default); `s3Compatible` any S3 API (MinIO, Ceph RGW, R2, AWS
 * with static keys...) with a writer key pair for the CronJob and a read-only pair for restores. Without a
 * `target`, EKS uses `s3` and every other cluster `pvc`.
 */

const size = z.string().regex(/^[0-9]+(Ki|Mi|Gi|Ti)$/, 'a Kubernetes size such as "10Gi"');
/** Kubernetes CronJob syntax: minute hour day-of-month month day-of-week. */
const cronSchedule = z.string().regex(/^\s*[0-9A-Za-z*,/?-]+(\s+[0-9A-Za-z*,/?-]+){4}\s*$/, 'a 5-field cron schedule such as "0 3 * * *"');
const keyPair = z.strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) });

export const backupTargetSchema = z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("s3") }),
    z.strictObject({ kind: z.literal("pvc"), size, storageClassName: z.string().min(1).optional() }),
    z.strictObject({
        kind: z.literal("s3Compatible"),
        endpoint: z.url({ protocol: /^https?$/, error: "an http(s) URL such as https://minio.example.com:9000" }),
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name"),
        region: z.string().min(1),
        /** Writes, lists and deletes (retention) under postgres/: the backup CronJob's key pair. */
        writer: keyPair,
        /** Reads and lists only: the restore Job's key pair. */
        reader: keyPair,
    }),
]);

export const backupConfigSchema = z.strictObject({
    enabled: z.boolean(),
    schedule: cronSchedule,
    /** Days a backup is kept; the newest one is never deleted. */
    retentionDays: z.number().int().min(1),
    target: backupTargetSchema.optional(),
});

export type BackupConfig = z.infer<typeof backupConfigSchema>;
export type BackupTarget = z.infer<typeof backupTargetSchema>;

/** Default size of the backup PVC: dumps are compressed, and retention keeps several. */
export const DEFAULT_BACKUP_PVC_SIZE = "10Gi";

/** The target a stack writes to: the configured one, else its cluster's default. */
export function backupTarget(backup: BackupConfig, clusterProvider: "eks" | "local" | "existing"): BackupTarget {
    if (backup.target) return backup.target;
    return clusterProvider === "eks" ? { kind: "s3" } : { kind: "pvc", size: DEFAULT_BACKUP_PVC_SIZE };
}

/** Keys of `nsip:backup` that must be set with `pulumi config set --secret`. */
export const backupSecretPaths: readonly string[][] = [["backup", "target", "writer", "secretAccessKey"], ["backup", "target", "reader", "secretAccessKey"]];

/** Rules across keys: the stack's own bucket exists only on EKS. */
export function backupIssues(backup: BackupConfig, clusterProvider: "eks" | "local" | "existing"): ConfigIssue[] {
    if (backup.enabled && backup.target?.kind === "s3" && clusterProvider !== "eks") {
        return [{ key: "nsip:backup.target.kind", message: `"s3" is the stack's own bucket on EKS, found a "${clusterProvider}" cluster; use "pvc" or "s3Compatible"` }];
    }
    return [];
}
