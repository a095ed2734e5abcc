#!/bin/sh
# Entry point of the restore Job (the postgres-restore CronJob template, instantiated by `ops restore`).
# Runs in the postgres image. Its result, one JSON line, goes to stdout and to the termination message,
# where `ops` reads it from the Job's pod; a failure leaves pg-restore.sh's ERROR line in the log tail,
# which the kubelet makes the termination message (FallbackToLogsOnError).
#
#   RESTORE_MODE=plan      verify the backup, then report it (its manifest) and what it would replace (facts)
#   RESTORE_MODE=restore   pg-restore.sh restore: safety dump into SAFETY_DIR, restore in one transaction
#   RESTORE_MODE=facts     what the database holds now (database size, rows per table)
#   RESTORE_MODE=list      the source's complete backups, one JSON line each on stdout (no termination message:
#                          a long list would not fit its 4 KiB)
#   RESTORE_FROM           a backup name (20261202T030000Z) or "latest"; plan and restore only
#   RESTORE_SOURCE         backups (default): BACKUP_SOURCE_DIR, the backup claim (read-only) or what the fetch
#                          container downloaded; safety: the safety dumps in SAFETY_DIR, to undo an earlier restore
#
# Exit codes: pg-restore.sh's (3 refused, 4 safety dump failed, 5 rolled back, 6 row counts differ); 2 usage.
set -eu

here=$(dirname "$0")
# shellcheck source=components/services/postgres/scripts/pg-lib.sh
. "$here/pg-lib.sh"

result=${RESULT_FILE:-/dev/termination-log}

# Prints the JSON on stdout and keeps it as the termination message (one line, whitespace squeezed).
report() {
    printf '%s\n' "$1" | tr -d '\n' | tr -s ' ' >"$result"
    printf '%s\n' "$1"
}

# Where the backups to verify, list or restore are.
source_dir() {
    case "${RESTORE_SOURCE:-backups}" in
        backups) printf '%s\n' "${BACKUP_SOURCE_DIR:?BACKUP_SOURCE_DIR is not set}" ;;
        safety) printf '%s\n' "${SAFETY_DIR:?SAFETY_DIR is not set}" ;;
        *) fail 2 "RESTORE_SOURCE must be backups or safety, not '$RESTORE_SOURCE'" ;;
    esac
}

# The backup to restore: RESTORE_FROM, or the newest complete backup (one with a manifest) in the source.
backup_name() {
    from=${RESTORE_FROM:-latest}
    if [ "$from" != latest ]; then
        printf '%s\n' "$from" | grep -qx '[0-9]\{8\}T[0-9]\{6\}Z' || fail 2 "RESTORE_FROM must be a backup name like 20261202T030000Z or latest, not $from"
        printf '%s\n' "$from"
        return
    fi
    newest=$(find "$source" -maxdepth 1 -name '*.json' | sed -n 's|^.*/\([0-9]\{8\}T[0-9]\{6\}Z\)\.json$|\1|p' | sort | tail -n 1)
    [ -n "$newest" ] || fail 3 "refused: there is no complete backup in $source"
    printf '%s\n' "$newest"
}

case "${RESTORE_MODE:-}" in
    plan)
        source=$(source_dir)
        name=$(backup_name)
        "$here/pg-restore.sh" verify "$source" "$name"
        current=$("$here/pg-restore.sh" facts)
        report "{\"backup\":$(cat "$source/$name.json"),\"current\":$current}"
        ;;
    restore)
        source=$(source_dir)
        name=$(backup_name)
        restored=$("$here/pg-restore.sh" restore "$source" "$name")
        report "$restored"
        ;;
    facts)
        report "$("$here/pg-restore.sh" facts)"
        ;;
    list)
        source=$(source_dir)
        list_manifests "$source"
        ;;
    *) fail 2 "RESTORE_MODE must be plan, restore, facts or list, not '${RESTORE_MODE:-}'" ;;
esac
