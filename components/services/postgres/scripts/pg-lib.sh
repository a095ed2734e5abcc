# shellcheck shell=sh
# Helpers shared by pg-backup.sh and pg-restore.sh (POSIX sh; busybox in the postgres image, dash in tests).

log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# fail <exit code> <message>
fail() {
    code=$1
    shift
    log "ERROR: $*"
    exit "$code"
}

file_size() { wc -c <"$1" | tr -d ' '; }

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Decompresses every table's data from a custom-format dump and prints "<table> <rows>" per table.
# COPY's text format writes one line per row (newlines inside values are escaped), so lines are rows.
# Fails if pg_restore cannot read the whole archive (truncated, corrupt, not a dump).
dump_row_counts() {
    counts_file=$(mktemp)
    if ! pg_restore --data-only --file=- "$1" 2>"$counts_file.err" | awk '
        /^COPY [^ ]+ .* FROM stdin;$/ { table = $2; rows[table] = 0; inside = 1; next }
        inside && $0 == "\\." { inside = 0; next }
        inside { rows[table]++ }
        END { for (t in rows) print t, rows[t] }' | sort >"$counts_file"; then
        rm -f "$counts_file" "$counts_file.err"
        return 1
    fi
    # pg_restore's status is lost in the pipe (no pipefail in POSIX sh): any message on stderr is a failure.
    if [ -s "$counts_file.err" ]; then
        cat "$counts_file.err" >&2
        rm -f "$counts_file" "$counts_file.err"
        return 1
    fi
    cat "$counts_file"
    rm -f "$counts_file" "$counts_file.err"
}

# write_manifest <file> <name> <size> <sha256> <"table rows" lines>; one key per line so sh can read it back.
write_manifest() {
    file=$1 name=$2 size=$3 sum=$4 tables=$5
    created=$(printf '%s' "$name" | sed 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z$/\1-\2-\3T\4:\5:\6Z/')
    {
        printf '{\n'
        printf '  "name": "%s",\n' "$name"
        printf '  "createdAt": "%s",\n' "$created"
        printf '  "database": "%s",\n' "${PGDATABASE:-}"
        printf '  "sizeBytes": %s,\n' "$size"
        printf '  "sha256": "%s",\n' "$sum"
        printf '  "tables": {'
        printf '%s\n' "$tables" | awk 'NF == 2 { printf "%s\n    \"%s\": %s", (n++ ? "," : ""), $1, $2 } END { if (n) printf "\n  " }'
        printf '}\n}\n'
    } >"$file.partial"
    mv "$file.partial" "$file"
}

manifest_value() { sed -n "s/^  \"$2\": \"*\([^\",]*\)\"*,*\$/\1/p" "$1"; }

# list_manifests <dir>: one JSON line (name, sizeBytes, createdAt) per complete backup in <dir>, for `ops backups`.
list_manifests() {
    for m in "$1"/*.json; do
        [ -e "$m" ] || continue
        printf '{"name":"%s","sizeBytes":%s,"createdAt":"%s"}\n' "$(manifest_value "$m" name)" "$(manifest_value "$m" sizeBytes)" "$(manifest_value "$m" createdAt)"
    done
}

# "<table> <rows>" lines of a manifest.
manifest_tables() { sed -n 's/^    "\([^"]*\)": \([0-9]*\),*$/\1 \2/p' "$1"; }

# The cutoff name for a retention of N days: backups named before it are expired.
retention_cutoff() {
    now=$(date -u +%s)
    date -u -d "@$((now - $1 * 86400))" +%Y%m%dT%H%M%SZ
}

# 20261202T030000Z -> 20261202030000, comparable with -lt.
stamp_number() { printf '%s' "$1" | tr -d 'TZ'; }

# Deletes backups (and unfinished leftovers) older than N days from a directory, never the newest backup.
prune_local() {
    dir=$1 days=$2
    cutoff=$(retention_cutoff "$days")
    newest=$(find "$dir" -maxdepth 1 -name '*.json' | sed -n 's|^.*/\([0-9]\{8\}T[0-9]\{6\}Z\)\.json$|\1|p' | sort | tail -n 1)
    for file in "$dir"/*.dump "$dir"/*.json "$dir"/.*.partial; do
        [ -e "$file" ] || continue
        base=$(basename "$file")
        stamp=$(printf '%s' "$base" | sed -n 's/^\.\{0,1\}\([0-9]\{8\}T[0-9]\{6\}Z\)\..*$/\1/p')
        [ -n "$stamp" ] || continue
        [ "$stamp" = "$newest" ] && continue
        if [ "$(stamp_number "$stamp")" -lt "$(stamp_number "$cutoff")" ]; then
            log "retention ${days}d: deleting $base"
            rm -f "$file"
        fi
    done
}
