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
/** emptyDir of the restore-verification pod the dump is fetched into from the object store. */
export const RESTORE_DIR = '/restore';

/**
 * The environment the object-store scripts read (set by the CronJobs from stack configuration and the Secret):
 * `S3_ENDPOINT` (https://s3.eu-central-1.amazonaws.com, http://minio.backup:9000), `S3_BUCKET`, `S3_PREFIX`
 * (ends with `/`, or empty), `S3_SSE` (`AES256`, `aws:kms` or empty for none), `S3_PATH_STYLE` (`true` for
 * MinIO and most self-hosted stores), `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`.
 * The client is the AWS CLI v2 (`amazon/aws-cli`), which talks to any S3-compatible store through `--endpoint-url`.
 */
const AWS_SETUP = `# The AWS CLI reads its settings from a file; the root file system is read-only, so it lives in /tmp.
work="\${TMPDIR:-/tmp}"
export AWS_CONFIG_FILE="\${work}/aws-config" HOME="\${work}"
printf '[default]\\ns3 =\\n  addressing_style = %s\\n' "$( [ "\${S3_PATH_STYLE:-true}" = true ] && echo path || echo auto )" > "\${AWS_CONFIG_FILE}"
s3() { aws --endpoint-url "\${S3_ENDPOINT}" "$@"; }
dump_keys() {
  s3 s3api list-objects-v2 --bucket "\${S3_BUCKET}" --prefix "\${S3_PREFIX}${DUMP_PREFIX}" --query 'Contents[].Key' --output text \\
    | tr '\\t' '\\n' | grep -E '${DUMP_PREFIX}[0-9]{8}T[0-9]{6}Z${DUMP_SUFFIX.replace(/\./g, '\\.')}$' || true
}`;

export interface RetentionPolicy {
  /** The newest dump of each of this many most recent days is kept. */
  readonly daily: number;
  /** The newest dump of each of this many most recent weeks (Monday to Sunday, UTC) is kept too. */
  readonly weekly: number;
}

/**
 * Uploads the newest local dump to the object store (with server-side encryption when `S3_SSE` names one),
 * checks the stored size, then deletes the dumps the retention policy no longer keeps. Dump names carry their
 * UTC time, so retention is decided from the names, never from clocks or object dates.
 */
export function uploadScript(retention: RetentionPolicy, backupDir: string = BACKUP_DIR): string {
  return `set -euo pipefail
${AWS_SETUP}
latest=$(ls -1 ${backupDir}/${DUMP_PREFIX}*${DUMP_SUFFIX} 2>/dev/null | sort | tail -n 1 || true)
if [ -z "\${latest}" ]; then echo "upload: no dump in ${backupDir}" >&2; exit 1; fi
name=$(basename "\${latest}")
target="s3://\${S3_BUCKET}/\${S3_PREFIX}\${name}"
sse=()
if [ -n "\${S3_SSE:-}" ]; then sse=(--sse "\${S3_SSE}"); fi
s3 s3 cp "\${latest}" "\${target}" --no-progress --only-show-errors "\${sse[@]}"
stored=$(s3 s3api head-object --bucket "\${S3_BUCKET}" --key "\${S3_PREFIX}\${name}" --query ContentLength --output text)
local_size=$(stat -c %s "\${latest}")
if [ "\${stored}" != "\${local_size}" ]; then
  echo "upload: \${target} holds \${stored} bytes, the dump has \${local_size}" >&2
  exit 1
fi
echo "upload: \${target} (\${stored} bytes\${S3_SSE:+, encrypted with \${S3_SSE}})"
# Keep the newest dump of each of the last ${retention.daily} days and of each of the last ${retention.weekly} weeks.
dump_keys | sort -r | awk -v daily=${retention.daily} -v weekly=${retention.weekly} '
  function days(y, m, d) { y -= (m <= 2); era = int(y / 400); yoe = y - era * 400
    doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
    return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468 }
  { n = split($0, part, "${DUMP_PREFIX}"); day = substr(part[n], 1, 8)
    week = int((days(substr(day, 1, 4) + 0, substr(day, 5, 2) + 0, substr(day, 7, 2) + 0) + 3) / 7)
    keep = 0
    if (!(day in byDay) && kept_days < daily) { byDay[day] = 1; kept_days++; keep = 1 }
    if (!(week in byWeek) && kept_weeks < weekly) { byWeek[week] = 1; kept_weeks++; keep = 1 }
    print (keep ? "keep" : "delete"), $0 }' > "\${work}/retention"
kept=$(grep -c '^keep ' "\${work}/retention" || true)
# One request deletes them all (S3 takes up to 1000 keys; the names hold no character JSON must escape).
awk '$1 == "delete" { keys = keys (keys ? "," : "") "{\\"Key\\":\\"" $2 "\\"}"; n++ }
  n == 1000 { print "{\\"Objects\\":[" keys "],\\"Quiet\\":true}"; keys = ""; n = 0 }
  END { if (n) print "{\\"Objects\\":[" keys "],\\"Quiet\\":true}" }' "\${work}/retention" > "\${work}/deletions"
while read -r batch; do
  s3 s3api delete-objects --bucket "\${S3_BUCKET}" --delete "\${batch}" > /dev/null
done < "\${work}/deletions"
{ grep '^delete ' "\${work}/retention" || true; } | while read -r _ key; do echo "upload: deleted s3://\${S3_BUCKET}/\${key} (past retention)"; done
echo "upload: \${kept} dumps kept in s3://\${S3_BUCKET}/\${S3_PREFIX}"
`;
}

/** Fetches the newest dump from the object store into `restoreDir`, for the restore verification to use. */
export function fetchLatestScript(restoreDir: string = RESTORE_DIR): string {
  return `set -euo pipefail
${AWS_SETUP}
key=$(dump_keys | sort | tail -n 1)
if [ -z "\${key}" ]; then echo "restore-verify: no dump in s3://\${S3_BUCKET}/\${S3_PREFIX}" >&2; exit 1; fi
s3 s3 cp "s3://\${S3_BUCKET}/\${key}" "${restoreDir}/$(basename "\${key}")" --no-progress --only-show-errors
echo "restore-verify: fetched s3://\${S3_BUCKET}/\${key} ($(stat -c %s "${restoreDir}/$(basename "\${key}")") bytes)"
`;
}

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
