-- Ingestion that no document can stall: counted attempts, a short lease renewed by a heartbeat and owned by one
-- worker, failure reasons a user can read, and "interrupted" answers.
--
-- The queue is cross-tenant (a worker claims whichever team's job is next), so its statements are narrow
-- SECURITY DEFINER functions: the server's role sees only the current tenant's rows (row-level security), and
-- these functions are the only cross-tenant paths into ingestion_jobs. Storing a document's chunks stays
-- tenant-scoped (withTenant).

ALTER TABLE documents
  -- Why a document failed, for the API and the metrics: unreadable, no_text, timeout, crashed, interrupted,
  -- embedding_failed, storage_failed. `error` holds the sentence shown to the user.
  ADD COLUMN failure_reason text,
  -- How many times indexing started (a restart or a crash counts).
  ADD COLUMN attempts int NOT NULL DEFAULT 0;

ALTER TABLE ingestion_jobs
  -- The worker holding the lease (a random id per process): heartbeats, failures and the final store only
  -- succeed for the holder, so a worker that lost its lease can never store a second copy of the chunks.
  ADD COLUMN lease_owner uuid,
  -- Why the previous attempt ended without a result (timeout, crashed); a lease that simply ran out leaves NULL.
  ADD COLUMN last_error text,
  ADD COLUMN started_at timestamptz;

-- The next job, fairly between teams: the team with the fewest jobs being processed right now goes first, so one
-- team's hundred uploads do not keep every worker from another team's one. Returns no row when nothing waits.
CREATE FUNCTION ingestion_claim_job(p_owner uuid, p_lease_seconds int)
  RETURNS TABLE (job_id uuid, tenant_id uuid, document_id uuid, content bytea, attempts int, last_error text)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  picked uuid;
BEGIN
  SELECT q.id INTO picked FROM ingestion_jobs q
   WHERE q.lease_until IS NULL OR q.lease_until < now()
   ORDER BY (SELECT count(*) FROM ingestion_jobs r WHERE r.tenant_id = q.tenant_id AND r.lease_until >= now()),
            q.created_at
   LIMIT 1
   FOR UPDATE SKIP LOCKED;
  IF picked IS NULL THEN
    RETURN;
  END IF;
  UPDATE ingestion_jobs j SET attempts = j.attempts + 1, lease_owner = p_owner, started_at = now(),
         lease_until = now() + make_interval(secs => p_lease_seconds)
   WHERE j.id = picked;
  UPDATE documents d SET attempts = j.attempts, updated_at = now()
    FROM ingestion_jobs j WHERE j.id = picked AND d.id = j.document_id;
  RETURN QUERY SELECT j.id, j.tenant_id, j.document_id, j.content, j.attempts, j.last_error
                 FROM ingestion_jobs j WHERE j.id = picked;
END
$$;

-- The heartbeat: false when the lease is no longer this worker's (it ran out and another worker took the job, or
-- the document was deleted), and the worker must stop.
CREATE FUNCTION ingestion_renew_lease(p_job uuid, p_owner uuid, p_lease_seconds int) RETURNS boolean
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
BEGIN ATOMIC
  WITH renewed AS (
    UPDATE ingestion_jobs SET lease_until = now() + make_interval(secs => p_lease_seconds)
     WHERE id = p_job AND lease_owner = p_owner
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM renewed);
END;

-- An attempt that ended without a result (timeout, crashed thread, full storage, database outage): the job waits
-- again (for `p_retry_after_seconds`), with the reason kept for the day its attempts run out. `p_refund` gives
-- the attempt back (not the document's fault).
CREATE FUNCTION ingestion_release_job(p_job uuid, p_owner uuid, p_error text, p_refund boolean,
                                      p_retry_after_seconds int) RETURNS boolean
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
BEGIN ATOMIC
  WITH released AS (
    UPDATE ingestion_jobs
       SET lease_owner = NULL, last_error = coalesce(p_error, last_error),
           lease_until = CASE WHEN p_retry_after_seconds > 0
                              THEN now() + make_interval(secs => p_retry_after_seconds) END,
           attempts = CASE WHEN p_refund THEN greatest(attempts - 1, 0) ELSE attempts END
     WHERE id = p_job AND lease_owner = p_owner
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM released);
END;

-- Marks the document failed with its reason and removes the job, if this worker still holds it.
CREATE FUNCTION ingestion_fail_job(p_job uuid, p_owner uuid, p_reason text, p_message text, p_attempts int)
  RETURNS boolean
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
BEGIN ATOMIC
  WITH job AS (
    DELETE FROM ingestion_jobs WHERE id = p_job AND lease_owner = p_owner RETURNING document_id
  ), failed AS (
    UPDATE documents SET status = 'failed', failure_reason = p_reason, error = left(p_message, 500),
           attempts = p_attempts, chunks_done = 0, updated_at = now()
     WHERE id IN (SELECT document_id FROM job)
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM job);
END;

-- The embedded database is opened by one process at a time (app/db/embedded-lock.ts): at its start every lease
-- belongs to a process that is gone, so its jobs resume at once instead of after the lease. Never called on
-- PostgreSQL, where other replicas hold live leases. The attempts stay counted.
CREATE FUNCTION ingestion_release_orphaned_leases() RETURNS int
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
BEGIN ATOMIC
  WITH released AS (
    UPDATE ingestion_jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_until IS NOT NULL RETURNING 1
  )
  SELECT count(*)::int FROM released;
END;

-- The queue as operators see it, across teams: jobs waiting for a worker, jobs leased, and the age of the oldest
-- job still unfinished (a document stuck in processing).
CREATE FUNCTION ingestion_queue_stats()
  RETURNS TABLE (waiting int, leased int, oldest_seconds double precision)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
BEGIN ATOMIC
  SELECT count(*) FILTER (WHERE lease_until IS NULL OR lease_until < now())::int,
         count(*) FILTER (WHERE lease_until >= now())::int,
         coalesce(extract(epoch FROM now() - min(created_at)), 0)::double precision
    FROM ingestion_jobs;
END;

-- Can the database still write? Readiness asks this after a write failed for lack of space (a `SELECT 1` still
-- answers then): it extends a table by 128 kB of incompressible rows, which fails while the disk is full, and
-- truncates it again, so the probe leaves nothing behind.
CREATE TABLE storage_probe (filler text NOT NULL);
CREATE FUNCTION storage_write_probe() RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  INSERT INTO storage_probe
    SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 64) g, generate_series(1, 60) s GROUP BY g;
  TRUNCATE storage_probe;
END
$$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'ingestion_claim_job(uuid, int)',
    'ingestion_renew_lease(uuid, uuid, int)',
    'ingestion_release_job(uuid, uuid, text, boolean, int)',
    'ingestion_fail_job(uuid, uuid, text, text, int)',
    'ingestion_release_orphaned_leases()',
    'ingestion_queue_stats()',
    'storage_write_probe()'
  ]
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO docuchat_app', f);
  END LOOP;
END
$$;

-- A chat turn in progress: the question's row says until when its answer is being worked on (renewed while the
-- answer streams). A question whose deadline passed without an answer was cut by a crash: the API shows it as
-- interrupted. NULL for answered questions, for answers, and for turns that ended with an error event.
ALTER TABLE messages ADD COLUMN answer_pending_until timestamptz;
