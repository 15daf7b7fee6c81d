-- The parsed text of each document, page by page, for the document view (GET /documents/:id/pages/:number):
-- every block with its heading path, as the parser produced it before chunking. Chunks overlap and are cut for
-- retrieval, so they cannot be shown as the document; the ingestion job's copy of this text is deleted once the
-- chunks are stored. Documents uploaded before this migration have no rows here; their view is rebuilt from
-- their chunks (app/server/documents/document-text.ts).
CREATE TABLE document_pages (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  number int NOT NULL CHECK (number >= 1),
  -- [{"text": "...", "headingPath": ["...", ...]}, ...] (ParsedBlock[] of app/server/ingest/document.ts)
  blocks jsonb NOT NULL,
  PRIMARY KEY (document_id, number)
);

ALTER TABLE document_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_pages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_pages
  USING (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())
  WITH CHECK (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON document_pages TO docuchat_app;
