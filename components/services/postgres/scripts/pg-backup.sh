#!/bin/sh
# Takes one PostgreSQL backup into $BACKUP_DIR and prunes old ones. Runs in the postgres image (busybox sh)
# and in the tests under Debian's dash. Connection from libpq's PG* variables.
#
# A backup is two files named by its UTC time: <name>.dump (pg_dump custom format) and <name>.json, its
# manifest (time, size, sha256, rows per table as read back from the dump itself). The manifest is written
# last: a dump without one is an unfinished backup and is never listed or restored.
#
#   BACKUP_DIR       where the files go (an emptyDir the upload container reads, or the backup PVC)
#   RETENTION_DAYS   optional: delete backups older than this from BACKUP_DIR, always keeping the newest
#   BACKUP_NAME      optional: the backup's name; default the current UTC time, e.g. 20261202T030000Z
set -eu

here=$(dirname "$0")
# shellcheck source=components/services/postgres/scripts/pg-lib.sh
. "$here/pg-lib.sh"

: "${BACKUP_DIR:?BACKUP_DIR is not set}"
name=${BACKUP_NAME:-$(date -u +%Y%m%dT%H%M%SZ)}
case "$name" in *[!0-9TZ]*|"") fail 2 "BACKUP_NAME must look like 20261202T030000Z, got '$name'" ;; esac
dump="$BACKUP_DIR/$name.dump"
partial="$BACKUP_DIR/.$name.partial"
[ -e "$dump" ] && fail 2 "backup $name already exists in $BACKUP_DIR"

log "dumping database ${PGDATABASE:-?} from ${PGHOST:-local}:${PGPORT:-5432} to $dump"
pg_dump --format=custom --no-owner --no-privileges --file="$partial"
# Reads every data block back: a dump that cannot be read completely is not a backup.
tables=$(dump_row_counts "$partial") || { rm -f "$partial"; fail 1 "the dump just written cannot be read back"; }
size=$(file_size "$partial")
sum=$(sha256 "$partial")
mv "$partial" "$dump"
write_manifest "$BACKUP_DIR/$name.json" "$name" "$size" "$sum" "$tables"
log "backup $name complete: $size bytes, sha256 $sum"
printf '%s\n' "$tables" | sed 's/^/  rows /' >&2

if [ -n "${RETENTION_DAYS:-}" ]; then
    prune_local "$BACKUP_DIR" "$RETENTION_DAYS"
fi
printf '{"backup":"%s","sizeBytes":%s,"sha256":"%s"}\n' "$name" "$size" "$sum"
