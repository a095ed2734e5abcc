#!/bin/sh
# Restores a backup written by pg-backup.sh, all or nothing. Runs in the postgres image (busybox sh) and in
# the tests under Debian's dash. Connection from libpq's PG* variables.
#
#   pg-restore.sh facts                  what a restore would replace: database size and rows per table (JSON)
#   pg-restore.sh verify  <dir> <name>   checks <dir>/<name>.dump against its manifest; touches no database
#   pg-restore.sh restore <dir> <name>   verify, safety dump into $SAFETY_DIR, restore in one transaction,
#                                        then compare the restored rows with the manifest; reports the
#                                        restored tables and the safety dump's name (JSON)
#
# Exit codes: 0 done; 2 usage; 3 backup refused (missing, unfinished, truncated, corrupt: database untouched);
# 4 safety dump failed (database untouched); 5 restore failed and was rolled back (database as it was);
# 6 restored, but the row counts differ from the manifest.
#
#   SAFETY_DIR             where the safety dump of the current database goes (restore only)
#   RETENTION_DAYS         optional: prune safety dumps older than this (the newest is always kept)
#   RESTORE_LOCK_TIMEOUT   how long the restore waits for a table lock before giving up; default 60s
set -eu

here=$(dirname "$0")
# shellcheck source=components/services/postgres/scripts/pg-lib.sh
. "$here/pg-lib.sh"

psql_at() { psql -X -v ON_ERROR_STOP=1 --no-psqlrc -A -t -q "$@"; }

# "<schema.table> <rows>" for every table of the current database, exact counts.
db_row_counts() {
    psql_at -F ' ' -c "
        SELECT format('%s.%s', table_schema, table_name),
               (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text
        FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1"
}

facts() {
    size=$(psql_at -c "SELECT pg_database_size(current_database())")
    printf '{"database":"%s","sizeBytes":%s,"tables":{' "$(psql_at -c 'SELECT current_database()')" "$size"
    db_row_counts | awk 'NF == 2 { printf "%s\"%s\":%s", (n++ ? "," : ""), $1, $2 }'
    printf '}}\n'
}

# verify <dir> <name>: the manifest exists, the dump's size and sha256 match it, and every data block reads
# back to exactly the rows the manifest recorded.
verify() {
    dir=$1 name=$2
    dump="$dir/$name.dump" manifest="$dir/$name.json"
    [ -f "$dump" ] || fail 3 "refused: backup $name not found in $dir"
    [ -f "$manifest" ] || fail 3 "refused: backup $name has no manifest (unfinished or not written by pg-backup.sh)"
    expected_size=$(manifest_value "$manifest" sizeBytes)
    expected_sum=$(manifest_value "$manifest" sha256)
    if [ -z "$expected_sum" ] || [ -z "$expected_size" ]; then fail 3 "refused: manifest of $name is unreadable"; fi
    actual_size=$(file_size "$dump")
    [ "$actual_size" = "$expected_size" ] || fail 3 "refused: $name.dump is $actual_size bytes, the manifest says $expected_size (truncated or replaced)"
    [ "$(sha256 "$dump")" = "$expected_sum" ] || fail 3 "refused: $name.dump does not match its sha256 (corrupt)"
    actual_rows=$(dump_row_counts "$dump") || fail 3 "refused: $name.dump cannot be read back completely (corrupt)"
    [ "$actual_rows" = "$(manifest_tables "$manifest" | sort)" ] || fail 3 "refused: the rows in $name.dump differ from its manifest"
    log "backup $name verified: $actual_size bytes, sha256 matches, every table reads back"
}

restore() {
    dir=$1 name=$2
    : "${SAFETY_DIR:?SAFETY_DIR is not set}"
    verify "$dir" "$name"

    log "safety dump of the current database into $SAFETY_DIR"
    if ! taken=$(BACKUP_DIR="$SAFETY_DIR" BACKUP_NAME="" "$here/pg-backup.sh"); then
        fail 4 "safety dump failed: nothing was restored, the database is as it was"
    fi
    safety=$(printf '%s\n' "$taken" | sed -n 's/^{"backup":"\([0-9TZ]*\)".*/\1/p')
    log "safety dump $safety taken: it is what this restore replaces"

    log "restoring $name in one transaction"
    status_file=$(mktemp)
    # The whole script runs in one transaction that only the final COMMIT ends. If pg_restore fails, the COMMIT
    # is never sent; if anything dies, the connection drops: either way PostgreSQL rolls everything back.
    # The public schema is recreated so that objects the backup does not have go too.
    if ! {
        printf 'BEGIN;\nSET LOCAL lock_timeout = %s;\n' "'${RESTORE_LOCK_TIMEOUT:-60s}'"
        printf 'DROP SCHEMA public CASCADE;\nCREATE SCHEMA public AUTHORIZATION pg_database_owner;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\n'
        if pg_restore --no-owner --no-privileges --file=- "$dir/$name.dump"; then
            echo ok >"$status_file"
            printf 'COMMIT;\n'
        fi
    } | psql -X -q -v ON_ERROR_STOP=1 --no-psqlrc >/dev/null || [ "$(cat "$status_file")" != ok ]; then
        rm -f "$status_file"
        fail 5 "restore of $name failed and was rolled back: the database is as it was"
    fi
    rm -f "$status_file"

    expected=$(manifest_tables "$dir/$name.json" | sort)
    actual=$(db_row_counts | while read -r table rows; do
        printf '%s\n' "$expected" | grep -q "^$table " && printf '%s %s\n' "$table" "$rows"
    done | sort)
    if [ "$actual" != "$expected" ]; then
        log "expected rows: $expected"
        log "restored rows: $actual"
        fail 6 "restored $name, but the row counts differ from its manifest; the database it replaced is safety dump $safety"
    fi
    log "restored $name; every table has the rows its manifest records"
    printf '{"restored":"%s","safetyDump":"%s","tables":{' "$name" "$safety"
    printf '%s\n' "$actual" | awk 'NF == 2 { printf "%s\"%s\":%s", (n++ ? "," : ""), $1, $2 }'
    printf '}}\n'
}

case "${1:-}" in
    facts) facts ;;
    verify) [ $# -eq 3 ] || fail 2 "usage: $0 verify <dir> <name>"; verify "$2" "$3" ;;
    restore) [ $# -eq 3 ] || fail 2 "usage: $0 restore <dir> <name>"; restore "$2" "$3" ;;
    *) fail 2 "usage: $0 facts | verify <dir> <name> | restore <dir> <name>" ;;
esac
