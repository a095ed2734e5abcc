import { z } from "zod";
import type { ConfigIssue } from "./rules";
import { checked, flag, integer } from "./leaves";
import * as v from "./values";

/**
 * `nsip:backup`: where PostgreSQL backups go, how often and for how long. A separate piece of the
 * config schema (stacks/schema.ts includes it) so the backup keys live in one place.
 *
 * Targets: `s3` is the stack's own bucket on EKS (Pod Identity credentials); `pvc` a PersistentVolumeClaim
 * in the namespace (any cluster; the dev default); `s3Compatible` any S3 API (MinIO, Ceph RGW, R2, AWS
 * with static keys...) with a writer key pair for the CronJob and a read-only pair for restores. Without a
 * `target`, EKS uses `s3` and every other cluster `pvc`.
 */

const text = checked("text", (value) => (value.length > 0 ? undefined : "a non-empty string"));
const keyPair = z.strictObject({ accessKeyId: text, secretAccessKey: text });

export const backupTargetSchema = z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("s3") }),
    z.strictObject({ kind: z.literal("pvc"), size: checked("volumeSize", v.volumeSize), storageClassName: checked("dnsSubdomain", v.dnsSubdomain).optional() }),
    z.strictObject({
        kind: z.literal("s3Compatible"),
        endpoint: checked("httpUrl", v.httpUrl),
        bucket: checked("dnsSubdomain", (value) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) ? undefined : "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')")),
        /** Whatever the endpoint expects in its signatures (MinIO: us-east-1 unless configured). */
        region: text,
        /** Writes, lists and deletes (retention) under postgres/: the backup CronJob's key pair. */
        writer: keyPair,
        /** Reads and lists only: the restore Job's key pair. */
        reader: keyPair,
    }),
]);

export const backupConfigSchema = z.strictObject({
    enabled: flag,
    /** A CronJob schedule, as the CronJob controller parses it. */
    schedule: checked("cron", v.cronSchedule),
    /** Days a backup is kept; the newest one is never deleted. */
    retentionDays: integer(1, 36500),
    /**
     * Left out of the property test's generated configs (domain "backupTarget"): its variants depend on the cluster
     * and on secrets; test/config.test.ts and test/services.test.ts cover each.
     */
    target: backupTargetSchema.optional().meta({ domain: "backupTarget" }),
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
