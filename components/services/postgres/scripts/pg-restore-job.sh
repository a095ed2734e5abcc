#!/bin/sh
# Entry point of the restore Job (the postgres-restore CronJob template, instantiated by `ops restore`).
# Runs in the postgres image. Its result, one JSON line, goes to stdout and to the termination message,
# where `ops` reads it from the Job's pod; a failure leaves pg-restore.sh's ERROR line in the log tail,
# which the kubelet makes the termination message (FallbackToLogsOnError).
#
#   RESTORE_MODE=plan      verify the backup, then report it (its manifest) and what it would replace (facts)
#   RESTORE_MODE=restore   pg-restore.sh restore: safety dump into SAFETY_DIR, restore in one transaction
#   RESTORE_MODE=facts     what the database holds now (database size, rows per table)
#   RESTORE_FROM           a backup name (20261202T030000Z) or "latest"; plan and restore only
#   BACKUP_SOURCE_DIR      where the backups are: the backup claim (read-only) or what the fetch container downloaded
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

# The backup to restore: RESTORE_FROM, or the newest complete backup (one with a manifest) in the source.
backup_name() {
    from=${RESTORE_FROM:-latest}
    if [ "$from" != latest ]; then
        printf '%s\n' "$from" | grep -qx '[0-9]\{8\}T[0-9]\{6\}Z' || fail 2 "RESTORE_FROM must be a backup name like 20261202T030000Z or latest, not $from"
        printf '%s\n' "$from"
        return
    fi
    newest=$(find "$BACKUP_SOURCE_DIR" -maxdepth 1 -name '*.json' | sed -n 's|^.*/\([0-9]\{8\}T[0-9]\{6\}Z\)\.json$|\1|p' | sort | tail -n 1)
    [ -n "$newest" ] || fail 3 "refused: there is no complete backup in $BACKUP_SOURCE_DIR"
    printf '%s\n' "$newest"
}

case "${RESTORE_MODE:-}" in
    plan)
        : "${BACKUP_SOURCE_DIR:?BACKUP_SOURCE_DIR is not set}"
        name=$(backup_name)
        "$here/pg-restore.sh" verify "$BACKUP_SOURCE_DIR" "$name"
        current=$("$here/pg-restore.sh" facts)
        report "{\"backup\":$(cat "$BACKUP_SOURCE_DIR/$name.json"),\"current\":$current}"
        ;;
    restore)
        : "${BACKUP_SOURCE_DIR:?BACKUP_SOURCE_DIR is not set}"
        name=$(backup_name)
        restored=$("$here/pg-restore.sh" restore "$BACKUP_SOURCE_DIR" "$name")
        report "$restored"
        ;;
    facts)
        report "$("$here/pg-restore.sh" facts)"
        ;;
    *) fail 2 "RESTORE_MODE must be plan, restore or facts, not '${RESTORE_MODE:-}'" ;;
esac
