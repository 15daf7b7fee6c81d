/**
 * The shell scripts of the backup and restore-verification jobs, kept apart from the manifests so they can be
 * read (and run against a real PostgreSQL) on their own. Both run under bash for `pipefail`: a failing
 * `pg_dump` must fail the job, not leave a truncated gzip behind.
 */

export const BACKUP_DIR = '/backups';
export const DUMP_PREFIX = 'docuchat-';
export const DUMP_SUFFIX = '.sql.gz';
/** emptyDir of the restore-verification pod holding the scratch database. */
export const SCRATCH_DIR = '/scratch';

/** Dumps the database to `/backups/docuchat-<UTC time>.sql.gz` and deletes dumps older than `keepDays`. */
export function backupScript(keepDays: number, backupDir: string = BACKUP_DIR): string {
  return `set -euo pipefail
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="${backupDir}/${DUMP_PREFIX}\${stamp}${DUMP_SUFFIX}"
# Written under a temporary name and renamed, so a dump cut short never looks like a complete one.
pg_dump --no-owner --no-privileges | gzip -c > "\${target}.partial"
gzip -t "\${target}.partial"
mv "\${target}.partial" "\${target}"
echo "backup written: \${target} ($(stat -c %s "\${target}") bytes)"
find ${backupDir} -maxdepth 1 -name '${DUMP_PREFIX}*${DUMP_SUFFIX}' -mmin +${keepDays * 24 * 60} -print -delete
find ${backupDir} -maxdepth 1 -name '*.partial' -mmin +1440 -delete
`;
}

/**
 * Restores the newest dump into a scratch PostgreSQL started inside the job's own pod (no load on, and no
 * access to, the production database), then checks that every table has exactly the rows the dump holds.
 */
export function restoreVerifyScript(backupDir: string = BACKUP_DIR, scratchDir = SCRATCH_DIR): string {
  return `set -euo pipefail
latest=$(ls -1t ${backupDir}/${DUMP_PREFIX}*${DUMP_SUFFIX} 2>/dev/null | head -n 1 || true)
if [ -z "\${latest}" ]; then echo "restore-verify: no dump found in ${backupDir}" >&2; exit 1; fi
echo "restore-verify: checking \${latest}"
export PGDATA=${scratchDir}/pgdata PGHOST=${scratchDir} PGUSER=verify
initdb --username=verify --auth=trust >/dev/null
pg_ctl --wait --options="-c listen_addresses='' -c unix_socket_directories=${scratchDir}" start >/dev/null
trap 'pg_ctl --mode=fast stop >/dev/null' EXIT
# The policies of the dump name the application role; it exists in every DocuChat database.
psql -q -d postgres -c 'CREATE ROLE docuchat_app NOLOGIN'
createdb docuchat
gunzip -c "\${latest}" | psql -q -v ON_ERROR_STOP=1 -d docuchat >/dev/null
# Expected rows per table: the data lines of each COPY block in the dump.
gunzip -c "\${latest}" | awk '
  $1 == "COPY" { table = $2; rows[table] = 0; copying = 1; next }
  copying && $0 == "\\\\." { copying = 0; next }
  copying { rows[table]++ }
  END { for (t in rows) print t, rows[t] }' > ${scratchDir}/expected
tables=0
while read -r table expected; do
  actual=$(psql -tA -d docuchat -c "SELECT count(*) FROM \${table}")
  if [ "\${actual}" != "\${expected}" ]; then
    echo "restore-verify: \${table} has \${actual} rows after restore, the dump holds \${expected}" >&2
    exit 1
  fi
  tables=$((tables + 1))
done < ${scratchDir}/expected
if [ "\${tables}" -eq 0 ]; then echo "restore-verify: the dump holds no tables" >&2; exit 1; fi
echo "restore-verify: \${tables} tables restored with matching row counts from \${latest}"
`;
}
