-- search_normalize (002_rag.sql) without the translate() when the text is plain ASCII, which it cannot change:
-- every character it maps is outside ASCII. translate() walks its 22-character list for each character of the
-- text, which on the embedded database was a fifth of storing a chunk (the generated tsv column calls it for every
-- row: about 25 ms of a 100-chunk English document). Same result for every input, so the stored tsv values, the
-- GIN index and the queries in app/server/rag/retrieval.ts stay valid; the function keeps its identity, so
-- nothing that depends on it is rebuilt.
CREATE OR REPLACE FUNCTION search_normalize(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN octet_length(t) = char_length(t) THEN t
    ELSE translate(t, 'يك۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩' || U&'\200C', 'یک01234567890123456789')
  END;
