/**
 * Names the restore template (restore.ts) and `ops restore` (tools/ops/restore.ts) share. A module of plain
 * constants, so the ops command does not load Pulumi to learn them.
 */

/** The template (a suspended CronJob), its ServiceAccount and the Pod Identity association's name. */
export const RESTORE_NAME = "postgres-restore";
/** The traffic table's peer, the restore pods' app.kubernetes.io/name. */
export const RESTORE_PEER = "restore";
/** Where every restore keeps its safety dump of the database it replaces. No retention ever touches it. */
export const RESTORE_SAFETY_CLAIM = "postgres-restore-safety";
/** The container that runs pg-restore-job.sh; `ops restore` reads its termination message. */
export const RESTORE_CONTAINER = "restore";
/** What a restore Job does (pg-restore-job.sh's RESTORE_MODE). */
export type RestoreMode = "plan" | "restore" | "facts" | "list";
/** Where a restore Job reads backups (pg-restore-job.sh's RESTORE_SOURCE): the backup store, or the safety dumps (an undo). */
export type RestoreSource = "backups" | "safety";
/** A backup's name, as pg-backup.sh writes it: its UTC start time. */
export const BACKUP_NAME_PATTERN = /^\d{8}T\d{6}Z$/;
