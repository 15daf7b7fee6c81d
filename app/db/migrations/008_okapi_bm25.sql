-- Okapi BM25 per tenant, with language-aware analysis.
--
-- Analysis (the same at index and query time, in SQL so both sides cannot drift apart):
-- - search_normalize also drops tatweel and Arabic diacritics and folds alef maksura, teh marbuta and hamza alefs,
--   as the local embedder does (app/server/embeddings/normalize-text.ts), so "۲۰" finds "20" and "كتاب" "کتاب".
-- - search_lexemes: English Snowball stems ('retries', 'retried' → 'retri'), plus each word's exact form where the
--   stem differs from it or drops it (stop words such as 'off'), so exact spellings still match and rank higher.
--   Persian words pass the English stemmer unchanged and are stored once.
-- - chunk_search_vector: the document's name counts three times and the chunk's headings twice (weights A and B),
--   so a term in a title weighs as three or two in the body. The column is set by a trigger instead of being
--   generated, because the document's name lives in another table.
--
-- Statistics: tenant_lexemes holds, per tenant, how many chunks contain each lexeme (document frequency) and
-- tenant_corpus the tenant's chunk count and summed chunk length, maintained by statement triggers on chunks in
-- the transaction that inserts or deletes them (cascades from documents and tenants included). A question reads
-- a few rows by primary key instead of counting matches through the GIN index (see tenant_bm25_matches). Measured on
-- PostgreSQL 15 for a 60k-chunk team among 100k chunks: its terms' statistics take 1.6 ms per question (median) this
-- way; counted per query through the GIN index 5 s (the index is shared by all teams, so every match of a common
-- word is fetched to check its team), and the team's chunk count and average length alone 99 ms.

CREATE OR REPLACE FUNCTION search_normalize(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN octet_length(t) = char_length(t) THEN t
    -- Characters past the end of the second list are removed: ZWNJ, tatweel, harakat (U+064B-U+065F), superscript alef.
    ELSE translate(t,
      'يىكةأإٱ۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩' || U&'\200C\0640\064B\064C\064D\064E\064F\0650\0651\0652\0653\0654\0655\0656\0657\0658\0659\065A\065B\065C\065D\065E\065F\0670',
      'ییکهااا01234567890123456789')
  END;

-- Text as the parser should see it: normalised, and a dot or slash between words made a break, so the parser
-- does not take `pgvector.toSql`, `limits.maxInputLength` or `docs/api.md` for one host or file name that no
-- question's words would match.
CREATE FUNCTION search_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN regexp_replace(public.search_normalize(t), '([[:alnum:]_])[./](?=[[:alpha:]_])', '\1 ', 'g');

-- The lexemes of a text: English stems, then the exact forms the stems do not already hold.
CREATE FUNCTION search_lexemes(t text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT stems || ts_delete(to_tsvector('simple', n), tsvector_to_array(stems))
            FROM (SELECT n, to_tsvector('english', n) AS stems FROM (SELECT public.search_text(t) AS n) a) b);

-- The query side of search_lexemes: each lexeme once, marked when it is an exact form rather than a stem.
CREATE FUNCTION search_query_lexemes(t text) RETURNS TABLE (lexeme text, exact boolean)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  WITH n AS (SELECT public.search_text(t) AS n),
       stems AS (SELECT to_tsvector('english', n) AS v FROM n)
  SELECT s, false FROM stems, unnest(tsvector_to_array(v)) s
  UNION ALL
  -- Exact forms, but not of English stop words ("the", "is", "how"): in a question they are phrasing, and a few
  -- of them in a short passage would outweigh its real matches in a small team's corpus.
  SELECT e, true FROM n, stems, unnest(tsvector_to_array(ts_delete(to_tsvector('simple', n.n), tsvector_to_array(v)))) e
   WHERE to_tsvector('english', e) <> ''::tsvector
$$;

-- Words of a file name: "pino-README.md" → "pino README".
CREATE FUNCTION search_name_words(name text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN regexp_replace(regexp_replace(coalesce(name, ''), '\.[[:alnum:]]{1,8}$', ''), '[-_.]+', ' ', 'g');

CREATE FUNCTION chunk_search_vector(document_name text, heading_path text[], content text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT n || n || n || h || h || public.search_lexemes(content)
            FROM (SELECT setweight(public.search_lexemes(public.search_name_words(document_name)), 'A') AS n,
                         setweight(public.search_lexemes(array_to_string(heading_path, ' ')), 'B') AS h) parts);

ALTER TABLE chunks ALTER COLUMN tsv DROP EXPRESSION;

CREATE FUNCTION chunks_set_search_vector() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  NEW.tsv := chunk_search_vector(
    (SELECT d.name FROM documents d WHERE d.id = NEW.document_id), NEW.heading_path, NEW.content);
  RETURN NEW;
END
$$;

-- Chunks stored before this migration get the new analysis (and so their statistics) now.
UPDATE chunks c SET tsv = chunk_search_vector(d.name, c.heading_path, c.content)
  FROM documents d WHERE d.id = c.document_id;

CREATE TRIGGER chunks_search_vector BEFORE INSERT OR UPDATE OF content, heading_path, document_id ON chunks
  FOR EACH ROW EXECUTE FUNCTION chunks_set_search_vector();

CREATE TABLE tenant_lexemes (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  lexeme text NOT NULL,
  -- Chunks of the tenant whose tsv holds the lexeme.
  chunks int NOT NULL CHECK (chunks > 0),
  PRIMARY KEY (tenant_id, lexeme)
);

CREATE TABLE tenant_corpus (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  chunks bigint NOT NULL CHECK (chunks >= 0),
  -- Sum of length(tsv), the distinct lexemes of each chunk: BM25's document length.
  total_length bigint NOT NULL CHECK (total_length >= 0)
);

INSERT INTO tenant_lexemes (tenant_id, lexeme, chunks)
  SELECT c.tenant_id, l, count(*) FROM chunks c, unnest(tsvector_to_array(c.tsv)) l GROUP BY 1, 2;
INSERT INTO tenant_corpus (tenant_id, chunks, total_length)
  SELECT tenant_id, count(*), coalesce(sum(length(tsv)), 0) FROM chunks GROUP BY 1;

-- Statistics of chunks arriving and leaving. Every writer of a tenant's statistics locks the tenant's corpus row
-- first, so two transactions storing or deleting the same tenant's documents queue there instead of deadlocking on
-- lexeme rows; other tenants' writers never wait for them.
CREATE FUNCTION chunk_stats_add(tenants uuid[], vectors tsvector[]) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, public, pg_temp
BEGIN ATOMIC
  INSERT INTO tenant_corpus (tenant_id, chunks, total_length)
    SELECT t, count(*), sum(length(v)) FROM unnest(tenants, vectors) x(t, v) GROUP BY t ORDER BY t
  ON CONFLICT (tenant_id) DO UPDATE SET chunks = tenant_corpus.chunks + excluded.chunks,
                                        total_length = tenant_corpus.total_length + excluded.total_length;
  INSERT INTO tenant_lexemes (tenant_id, lexeme, chunks)
    SELECT t, l, count(*) FROM unnest(tenants, vectors) x(t, v), unnest(tsvector_to_array(v)) l
     GROUP BY t, l ORDER BY t, l
  ON CONFLICT (tenant_id, lexeme) DO UPDATE SET chunks = tenant_lexemes.chunks + excluded.chunks;
END;

CREATE FUNCTION chunk_stats_remove(tenants uuid[], vectors tsvector[]) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, public, pg_temp
BEGIN ATOMIC
  -- A tenant being deleted may have lost these rows to its own cascade already: nothing to update then.
  UPDATE tenant_corpus c SET chunks = c.chunks - g.n, total_length = c.total_length - g.len
    FROM (SELECT t, count(*) AS n, sum(length(v)) AS len FROM unnest(tenants, vectors) x(t, v) GROUP BY t) g
   WHERE c.tenant_id = g.t;
  -- Lexemes no chunk holds any more go first (the UPDATE after them must not see its own results).
  DELETE FROM tenant_lexemes s
   USING (SELECT t, l, count(*)::int AS n FROM unnest(tenants, vectors) x(t, v), unnest(tsvector_to_array(v)) l
           GROUP BY t, l) g
   WHERE s.tenant_id = g.t AND s.lexeme = g.l AND s.chunks <= g.n;
  UPDATE tenant_lexemes s SET chunks = s.chunks - g.n
    FROM (SELECT t, l, count(*)::int AS n FROM unnest(tenants, vectors) x(t, v), unnest(tsvector_to_array(v)) l
           GROUP BY t, l) g
   WHERE s.tenant_id = g.t AND s.lexeme = g.l AND s.chunks > g.n;
END;

-- The trigger functions are SECURITY DEFINER (they run as the migration user): the application role may only read
-- the statistics, so the triggers write them for it. They touch only the tenants of the rows their own statement
-- wrote, which row-level security had already allowed that statement to write; nothing can call them directly.
CREATE FUNCTION chunks_stats_inserted() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  PERFORM chunk_stats_add(ARRAY(SELECT a.tenant_id FROM added a ORDER BY a.id), ARRAY(SELECT a.tsv FROM added a ORDER BY a.id));
  RETURN NULL;
END
$$;

CREATE FUNCTION chunks_stats_deleted() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  PERFORM chunk_stats_remove(ARRAY(SELECT r.tenant_id FROM removed r ORDER BY r.id), ARRAY(SELECT r.tsv FROM removed r ORDER BY r.id));
  RETURN NULL;
END
$$;

-- Only rows whose analysis changed count (a reindex rewrites every vector and leaves tsv as it was).
CREATE FUNCTION chunks_stats_updated() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  tenants uuid[];
  before tsvector[];
  after tsvector[];
BEGIN
  SELECT array_agg(o.tenant_id ORDER BY o.id), array_agg(o.tsv ORDER BY o.id), array_agg(n.tsv ORDER BY o.id)
    INTO tenants, before, after
    FROM removed o JOIN added n USING (id) WHERE o.tsv IS DISTINCT FROM n.tsv;
  IF tenants IS NOT NULL THEN
    PERFORM chunk_stats_remove(tenants, before);
    PERFORM chunk_stats_add(tenants, after);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION chunks_stats_truncated() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  DELETE FROM tenant_lexemes;
  DELETE FROM tenant_corpus;
  RETURN NULL;
END
$$;

CREATE TRIGGER chunks_stats_inserted AFTER INSERT ON chunks REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION chunks_stats_inserted();
CREATE TRIGGER chunks_stats_deleted AFTER DELETE ON chunks REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION chunks_stats_deleted();
CREATE TRIGGER chunks_stats_updated AFTER UPDATE ON chunks REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION chunks_stats_updated();
CREATE TRIGGER chunks_stats_truncated AFTER TRUNCATE ON chunks
  FOR EACH STATEMENT EXECUTE FUNCTION chunks_stats_truncated();

REVOKE ALL ON FUNCTION chunk_stats_add(uuid[], tsvector[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION chunk_stats_remove(uuid[], tsvector[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION chunks_stats_inserted() FROM PUBLIC;
REVOKE ALL ON FUNCTION chunks_stats_deleted() FROM PUBLIC;
REVOKE ALL ON FUNCTION chunks_stats_updated() FROM PUBLIC;
REVOKE ALL ON FUNCTION chunks_stats_truncated() FROM PUBLIC;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_lexemes', 'tenant_corpus']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())
      WITH CHECK (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())$p$, t);
    -- Read only: the triggers above write them.
    EXECUTE format('GRANT SELECT ON %I TO docuchat_app', t);
  END LOOP;
END
$$;

-- A tsquery of lexemes as stored (quoted, so punctuation inside a lexeme is kept), joined by `op` ('|' or '&').
CREATE FUNCTION lexeme_tsquery(lexemes text[], op text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT string_agg('''' || replace(replace(x, '\', '\\'), '''', '''''') || '''', ' ' || op || ' ')::tsquery
            FROM unnest(lexemes) x);

-- One term's part of a chunk's Okapi BM25 score. `rank` is ts_rank with unit weights of a one-lexeme query: for a
-- lexeme at tf positions it is H(tf)/ζ(2) with H(tf) = Σ 1/i² (i = 1..tf), from which tf comes back exactly
-- (ζ(2) − H(tf) ≈ 1/(tf + ½)); ts_rank reads the tsvector in C, some ten times faster than unnest()ing it.
-- `norm` is k1·(1 − b + b·length/avg_length).
CREATE FUNCTION bm25_tf(rank real) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN least(256, round(1 / greatest(1.64493406685 - rank * 1.64493406685, 1e-6) - 0.5));

-- (No subquery inside: it would stop PostgreSQL from inlining the function into the scoring expression.)
CREATE FUNCTION bm25_term(rank real, idf float8, norm float8, k1 float8) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN rank <= 0 THEN 0 ELSE idf * public.bm25_tf(rank) * (k1 + 1) / (public.bm25_tf(rank) + norm) END;

-- The current tenant's best chunks for a question by Okapi BM25, from its own statistics.
--
-- query_texts are analysed as chunks are (search_query_lexemes); each text has a weight (the question 1, earlier
-- turns of the conversation less), and an exact form counts at half its text's weight beside its stem. Returns at
-- most max_rows chunks with their score and relevance: the score over the question's weighted idf mass (a chunk
-- holding every term once, at average length, has 1), which the caller's relevance floor is set against.
-- only_documents, when given, restricts the chunks (statistics stay the tenant's).
--
-- Candidates come from the GIN index, never from a scan of the tenant: first the chunks holding all the terms, or
-- all but one; then those holding any of the rarest terms (as many terms as hold at most candidate_budget chunks
-- together); then, MaxScore-style, only if the other
-- terms could together outscore the max_rows-th candidate found, the chunks holding a combination of them that
-- could (each combination an AND query, so common words are intersected in the index). The top max_rows are
-- exact unless a phase meets its candidate_budget.
--
-- Isolation and privileges as tenant_text_matches (migration 004): SECURITY DEFINER so the GIN index can serve `@@`
-- under row-level security, filtering tenant_id = app_current_tenant() itself (nothing outside a tenant
-- transaction), statements constant but for integer subscripts, returning only ids and scores.
CREATE FUNCTION tenant_bm25_matches(query_texts text[], query_weights real[], max_rows int,
                                    only_documents uuid[] DEFAULT NULL)
  RETURNS TABLE (id uuid, score real, relevance real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET enable_seqscan = off
AS $$
DECLARE
  k1 CONSTANT float8 := 1.2;
  b CONSTANT float8 := 0.75;
  exact_weight CONSTANT float8 := 0.5;
  candidate_budget CONSTANT int := 100;
  max_terms CONSTANT int := 24;
  max_rest_terms CONSTANT int := 8;
  max_conjunctions CONSTANT int := 64;
  tenant uuid := public.app_current_tenant();
  total float8;
  avg_length float8;
  mass float8;
  lexemes text[];
  idfs float8[];
  dfs int[];
  terms tsquery[];
  m int;
  essential int := 1;
  covered bigint;
  score_sql text := '';
  fetch_sql text;
  ids uuid[];
  scores float8[];
  more_ids uuid[];
  more_scores float8[];
  theta float8 := 0;
  rest int[];
  ub float8[];
  bound float8;
  conj tsquery;
  dnf tsquery;
  conjunctions int := 0;
  s float8;
  minimal boolean;
BEGIN
  IF tenant IS NULL OR coalesce(cardinality(query_texts), 0) = 0 THEN
    RETURN;
  END IF;
  SELECT c.chunks, c.total_length::float8 / greatest(c.chunks, 1) INTO total, avg_length
    FROM public.tenant_corpus c WHERE c.tenant_id = tenant;
  IF total IS NULL OR total = 0 THEN
    RETURN;
  END IF;

  WITH q AS (
    SELECT ql.lexeme, max(t.w * CASE WHEN ql.exact THEN exact_weight ELSE 1 END) AS w
      FROM unnest(query_texts, query_weights) t(txt, w), public.search_query_lexemes(t.txt) ql
     WHERE t.w > 0
     GROUP BY ql.lexeme
  ), s AS (
    -- A word no chunk holds counts in the relevance mass at half the idf of a word one chunk holds: enough that a
    -- question mostly about absent things falls under the floor, not so much that a small team's plain question
    -- ("how long do refunds take?" of a one-chunk refunds note) does.
    SELECT q.lexeme, coalesce(l.chunks, 0) AS df,
           q.w * CASE WHEN l.chunks IS NULL THEN 0.5 * ln(1 + (total - 0.5) / 1.5)
                      ELSE ln(1 + (total - l.chunks + 0.5) / (l.chunks + 0.5)) END AS idf
      FROM q LEFT JOIN public.tenant_lexemes l ON l.tenant_id = tenant AND l.lexeme = q.lexeme
  ), kept AS (
    SELECT * FROM s WHERE df > 0 ORDER BY idf DESC, lexeme LIMIT max_terms
  )
  SELECT (SELECT sum(idf) FROM s),
         (SELECT array_agg(lexeme ORDER BY df, lexeme) FROM kept),
         (SELECT array_agg(idf ORDER BY df, lexeme) FROM kept),
         (SELECT array_agg(df ORDER BY df, lexeme) FROM kept)
    INTO mass, lexemes, idfs, dfs;
  m := coalesce(cardinality(lexemes), 0);
  IF m = 0 THEN
    RETURN;
  END IF;
  terms := ARRAY(SELECT public.lexeme_tsquery(ARRAY[x], '|') FROM unnest(lexemes) WITH ORDINALITY u(x, o) ORDER BY o);

  FOR i IN 1..m LOOP
    score_sql := score_sql || CASE WHEN i > 1 THEN ' + ' ELSE '' END
      || format('public.bm25_term(ts_rank(''{1,1,1,1}''::real[], m.v, $2[%s]), $3[%s], m.norm, $7)', i, i);
  END LOOP;
  -- Each candidate's tsv is decompressed once (the inner query, kept apart by OFFSET 0) instead of once per term.
  fetch_sql := 'SELECT array_agg(id), array_agg(sc) FROM (SELECT m.id, (' || score_sql || ') AS sc
                  FROM (SELECT c.id, c.tsv || ''''::tsvector AS v, $7 * (1 - $8 + $8 * length(c.tsv) / $9) AS norm
                          FROM public.chunks c
                         WHERE c.tenant_id = $1 AND c.tsv @@ $4 AND ($5::tsquery IS NULL OR NOT (c.tsv @@ $5))
                           AND ($10::uuid[] IS NULL OR c.document_id = ANY ($10))
                         LIMIT $6 OFFSET 0) m) s';

  -- Phase 0, when even the rarest term is in more chunks than phase 1 may fetch (phase 1 would then see an
  -- arbitrary sample of them): the chunks holding every term, or all but one (a question often has a word its
  -- answer lacks, the "work" of "how does X work"), GIN intersections that are selective although each word is not.
  IF m >= 2 AND dfs[1] > candidate_budget THEN
    IF m >= 3 AND m <= max_rest_terms THEN
      FOR j IN 1..m LOOP
        conj := public.lexeme_tsquery(lexemes[1:j - 1] || lexemes[j + 1:m], '&');
        dnf := CASE WHEN dnf IS NULL THEN conj ELSE dnf || conj END;
      END LOOP;
    ELSE
      dnf := public.lexeme_tsquery(lexemes[1:least(m, max_rest_terms)], '&');
    END IF;
    EXECUTE fetch_sql INTO ids, scores
      USING tenant, terms, idfs, dnf, NULL::tsquery, candidate_budget, k1, b, avg_length, only_documents;
    dnf := NULL;
  END IF;
  ids := coalesce(ids, '{}');
  scores := coalesce(scores, '{}');

  -- Phase 1: the rarest terms.
  covered := dfs[1];
  WHILE essential < m AND covered + dfs[essential + 1] <= candidate_budget LOOP
    essential := essential + 1;
    covered := covered + dfs[essential];
  END LOOP;
  EXECUTE fetch_sql INTO more_ids, more_scores
    USING tenant, terms, idfs, public.lexeme_tsquery(lexemes[1:essential], '|'), NULL::tsquery, candidate_budget,
          k1, b, avg_length, only_documents;
  ids := ids || coalesce(more_ids, '{}');
  scores := scores || coalesce(more_scores, '{}');

  -- Phase 2: combinations of the other terms that could still beat the max_rows-th score.
  IF essential < m THEN
    IF cardinality(scores) >= max_rows THEN
      SELECT x INTO theta FROM unnest(scores) x ORDER BY x DESC OFFSET max_rows - 1 LIMIT 1;
    END IF;
    rest := ARRAY(SELECT g FROM generate_series(essential + 1, least(m, essential + max_rest_terms)) g);
    ub := ARRAY(SELECT idfs[g] * (k1 + 1) FROM unnest(rest) g);
    SELECT sum(x) INTO bound FROM unnest(ub) x;
    IF bound > theta THEN
      FOR mask IN 1..(1 << cardinality(rest)) - 1 LOOP
        s := 0;
        FOR j IN 1..cardinality(rest) LOOP
          IF mask & (1 << (j - 1)) <> 0 THEN s := s + ub[j]; END IF;
        END LOOP;
        CONTINUE WHEN s <= theta;
        minimal := true;
        FOR j IN 1..cardinality(rest) LOOP
          IF mask & (1 << (j - 1)) <> 0 AND s - ub[j] > theta THEN minimal := false; END IF;
        END LOOP;
        CONTINUE WHEN NOT minimal;
        conj := public.lexeme_tsquery(
          ARRAY(SELECT lexemes[rest[j]] FROM generate_series(1, cardinality(rest)) j WHERE mask & (1 << (j - 1)) <> 0),
          '&');
        dnf := CASE WHEN dnf IS NULL THEN conj ELSE dnf || conj END;
        conjunctions := conjunctions + 1;
        EXIT WHEN conjunctions >= max_conjunctions;
      END LOOP;
      IF dnf IS NOT NULL THEN
        EXECUTE fetch_sql INTO more_ids, more_scores
          USING tenant, terms, idfs, dnf, public.lexeme_tsquery(lexemes[1:essential], '|'), candidate_budget,
                k1, b, avg_length, only_documents;
        ids := ids || coalesce(more_ids, '{}');
        scores := scores || coalesce(more_scores, '{}');
      END IF;
    END IF;
  END IF;

  -- A chunk found by two phases has the same score in both.
  RETURN QUERY
    SELECT x.id, max(x.sc)::real, (max(x.sc) / greatest(mass, 1e-9))::real
      FROM unnest(ids, scores) x(id, sc)
     GROUP BY x.id
     ORDER BY 2 DESC, x.id
     LIMIT max_rows;
END
$$;
REVOKE ALL ON FUNCTION tenant_bm25_matches(text[], real[], int, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_bm25_matches(text[], real[], int, uuid[]) TO docuchat_app;
