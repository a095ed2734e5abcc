#!/bin/sh
# The S3 side of the backups, in the AWS CLI image: uploads what pg-backup.sh wrote, lists, fetches, prunes.
# Works against AWS S3 (credentials from EKS Pod Identity) and any S3-compatible endpoint (AWS_ENDPOINT_URL
# and a static key pair from a Secret).
#
#   s3-backup.sh upload <dir>           uploads <dir>/<name>.dump, then its manifest <name>.json (last: it marks
#                                       the backup complete); then prunes if RETENTION_DAYS is set
#   s3-backup.sh list                   one JSON line per complete backup: name, sizeBytes, lastModified
#   s3-backup.sh fetch <name|latest> <dir>   downloads a backup's dump and manifest into <dir>
#   s3-backup.sh prune                  deletes backups older than RETENTION_DAYS, never the newest
#
# Exit codes: 0 done; 2 usage; 3 backup not found; 1 anything else (the AWS CLI's error is printed).
#   BUCKET, PREFIX (default postgres/), RETENTION_DAYS; AWS_* as the AWS CLI reads them.
set -eu

here=$(dirname "$0")
# shellcheck source=components/services/postgres/scripts/pg-lib.sh
. "$here/pg-lib.sh"

: "${BUCKET:?BUCKET is not set}"
prefix=${PREFIX:-postgres/}

# "<key> <size> <lastModified>" of every object under the prefix. A failed listing fails the script (no
# pipefail in POSIX sh, hence the file): an empty answer must mean "no backups", never "could not look".
objects() {
    listing=$(mktemp)
    if ! aws s3api list-objects-v2 --bucket "$BUCKET" --prefix "$prefix" --query 'Contents[].[Key, Size, LastModified]' --output text >"$listing"; then
        rm -f "$listing"
        fail 1 "cannot list s3://$BUCKET/$prefix"
    fi
    awk 'NF == 3 && $1 != "None"' "$listing"
    rm -f "$listing"
}

# An awk function: is this key (below the prefix) a backup file of that type, 20261202T030000Z.<type>?
# Spelled without {n} intervals, which Debian's mawk does not know.
AWK_BACKUP='function backup(key, type) { return length(key) == 17 + length(type) && key ~ ("^[0-9]+T[0-9]+Z\\." type "$") }'

# Names of complete backups (a manifest and a dump), oldest first.
complete_backups() {
    all=$(objects)
    printf '%s\n' "$all" | awk -v p="$prefix" "$AWK_BACKUP"'
        { key = substr($1, length(p) + 1) }
        backup(key, "json") { json[substr(key, 1, 16)] = 1 }
        backup(key, "dump") { dump[substr(key, 1, 16)] = 1 }
        END { for (n in json) if (n in dump) print n }' | sort
}

upload() {
    dir=$1
    manifest=$(find "$dir" -maxdepth 1 -name '*.json' | sort | tail -n 1)
    [ -n "$manifest" ] || fail 1 "no backup in $dir to upload"
    name=$(basename "$manifest" .json)
    log "uploading backup $name to s3://$BUCKET/$prefix"
    aws s3 cp --only-show-errors "$dir/$name.dump" "s3://$BUCKET/$prefix$name.dump"
    aws s3 cp --only-show-errors --content-type application/json "$manifest" "s3://$BUCKET/$prefix$name.json"
    log "uploaded backup $name"
    if [ -n "${RETENTION_DAYS:-}" ]; then prune; fi
}

list() {
    all=$(objects)
    printf '%s\n' "$all" | awk -v p="$prefix" "$AWK_BACKUP"'
        { key = substr($1, length(p) + 1) }
        backup(key, "dump") { n = substr(key, 1, 16); size[n] = $2; modified[n] = $3 }
        backup(key, "json") { json[substr(key, 1, 16)] = 1 }
        END { for (n in size) if (n in json) printf "{\"name\":\"%s\",\"sizeBytes\":%s,\"lastModified\":\"%s\"}\n", n, size[n], modified[n] }' | sort
}

fetch() {
    name=$1 dir=$2
    backups=$(complete_backups)
    if [ "$name" = latest ]; then
        name=$(printf '%s\n' "$backups" | tail -n 1)
        [ -n "$name" ] || fail 3 "no complete backup under s3://$BUCKET/$prefix"
    fi
    printf '%s\n' "$backups" | grep -qx "$name" || fail 3 "backup $name not found under s3://$BUCKET/$prefix (or it has no manifest)"
    aws s3 cp --only-show-errors "s3://$BUCKET/$prefix$name.json" "$dir/$name.json"
    aws s3 cp --only-show-errors "s3://$BUCKET/$prefix$name.dump" "$dir/$name.dump"
    log "fetched backup $name into $dir"
    printf '%s\n' "$name"
}

prune() {
    : "${RETENTION_DAYS:?RETENTION_DAYS is not set}"
    cutoff=$(stamp_number "$(retention_cutoff "$RETENTION_DAYS")")
    backups=$(complete_backups)
    newest=$(printf '%s\n' "$backups" | tail -n 1)
    all=$(objects)
    printf '%s\n' "$all" | while read -r key _ _; do
        stamp=$(printf '%s' "${key#"$prefix"}" | sed -n 's/^\([0-9]\{8\}T[0-9]\{6\}Z\)\..*$/\1/p')
        if [ -z "$stamp" ] || [ "$stamp" = "$newest" ]; then continue; fi
        if [ "$(stamp_number "$stamp")" -lt "$cutoff" ]; then
            log "retention ${RETENTION_DAYS}d: deleting s3://$BUCKET/$key"
            aws s3 rm --only-show-errors "s3://$BUCKET/$key"
        fi
    done
}

case "${1:-}" in
    upload) [ $# -eq 2 ] || fail 2 "usage: $0 upload <dir>"; upload "$2" ;;
    list) list ;;
    fetch) [ $# -eq 3 ] || fail 2 "usage: $0 fetch <name|latest> <dir>"; fetch "$2" "$3" ;;
    prune) prune ;;
    *) fail 2 "usage: $0 upload <dir> | list | fetch <name|latest> <dir> | prune" ;;
esac
