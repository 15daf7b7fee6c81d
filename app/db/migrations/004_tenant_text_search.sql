-- Full-text candidates of the current tenant through the GIN index (chunks_tsv_idx).
--
-- Why a function: under row-level security PostgreSQL evaluates the policy before any condition that is not
-- leakproof, and `tsvector @@ tsquery` (ts_match_vq) is not, so for the application role the GIN index cannot
-- serve `@@`: every row of the tenant was read and matched one by one (20-30 ms per question at 60k chunks).
--
-- Isolation is exactly the policy's: the function filters `tenant_id = app_current_tenant()` itself, the same
-- expression the tenant_isolation policy applies to docuchat_app, so a caller sees the chunks the policy would
-- show it and no others (none outside a tenant transaction, where app_current_tenant() is NULL). It takes only
-- tsqueries and a row limit (no table, column or tenant argument; the statement it executes is a constant),
-- returns only ids and ranks, and pins its search_path, so it cannot be pointed at other data.
--
-- Privileges: SECURITY DEFINER runs the body as the function's owner, the user that applies the migrations.
-- Superusers (the embedded database's `postgres`, the CI and compose setups) and roles with BYPASSRLS are not
-- subject to row-level security, so the planner may use the GIN index. An owner without either (a plain
-- database owner on a managed PostgreSQL) is still subject to the FORCEd policy: the function then returns the
-- same rows, only as slowly as before, until a superuser runs `ALTER ROLE <migration user> BYPASSRLS`. Besides
-- its owner (and superusers), only docuchat_app may execute it.
CREATE FUNCTION tenant_text_matches(match_any tsquery[], max_rows int)
  RETURNS TABLE (id uuid, rank real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  -- A team's chunks lie together in the table (they arrive document by document), so a sequential scan that
  -- stops after max_rows matches can read every other team's rows first (0.5 s for the last of five teams at
  -- 100k chunks) although the planner costs it as the cheapest. Through the tenant or the GIN index instead.
  SET enable_seqscan = off
AS $$
DECLARE
  rank_by tsquery;
  q tsquery;
BEGIN
  -- At most max_rows chunks matching any of the queries (one GIN search each, OR-ed as a bitmap), each with its
  -- ts_rank_cd against the OR of the queries; the caller orders and cuts.
  FOREACH q IN ARRAY match_any LOOP
    rank_by := CASE WHEN rank_by IS NULL THEN q ELSE rank_by || q END;
  END LOOP;
  IF rank_by IS NULL THEN
    RETURN;
  END IF;
  -- EXECUTE of a constant statement with the arguments bound plans for the actual queries on every call: a plan
  -- cached for unknown ones reads the GIN index even for words most chunks contain (40 ms where a scan in table
  -- order finds enough in 2 ms).
  RETURN QUERY EXECUTE
    'SELECT m.id, ts_rank_cd(m.tsv, $2)
       FROM (SELECT c.id, c.tsv FROM public.chunks c
              WHERE c.tenant_id = public.app_current_tenant() AND c.tsv @@ ANY ($1)
              LIMIT $3) m'
    USING match_any, rank_by, max_rows;
END
$$;
REVOKE ALL ON FUNCTION tenant_text_matches(tsquery[], int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_text_matches(tsquery[], int) TO docuchat_app;
