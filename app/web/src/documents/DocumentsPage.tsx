import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/api-context.js';
import type { DocumentSummary } from '../api/types.js';
import { formatBytes, formatNumber, formatPercent } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../layout/ConfirmButton.js';
import { DualDate } from '../layout/DualDate.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Link } from '../router.js';
import { ingestionFraction } from './ingestion-progress.js';
import { UploadList } from './UploadList.js';
import { UploadZone } from './UploadZone.js';
import { type UploadItem, useUploads } from './use-uploads.js';

/** While any document is still processing, the list refreshes itself (also for uploads from another tab). */
const PROCESSING_REFRESH_MS = 2000;

export function DocumentsPage() {
  const api = useApi();
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const limits = useQuery({ queryKey: ['limits'], queryFn: () => api.limits(), staleTime: 10 * 60_000 });
  const uploads = useUploads(limits.data?.max_upload_bytes);
  const documents = useQuery({
    queryKey: ['documents'],
    queryFn: () => api.listDocuments(),
    refetchInterval: (query) =>
      query.state.data?.documents.some((d) => d.status === 'processing') ? PROCESSING_REFRESH_MS : false,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.deleteDocument(id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['documents'] }),
  });
  // A file the server has taken is a row of the table from then on: its ingestion progress shows there.
  const listed = new Set(documents.data?.documents.map((d) => d.id));
  const live = new Map(
    uploads.items
      .filter((i) => i.documentId && i.phase === 'ingesting')
      .map((i) => [i.documentId!, i.progress]),
  );
  const uploading = uploads.items.some((i) => i.phase === 'uploading' || i.phase === 'ingesting');

  return (
    <main id="main" className="page">
      <h1>{t.documentsTitle}</h1>
      <UploadZone onFiles={uploads.start} maxBytes={limits.data?.max_upload_bytes} />
      <UploadList
        items={uploads.items.filter(
          (item) => !(item.documentId && listed.has(item.documentId) && merged(item)),
        )}
        onDismiss={uploads.dismiss}
      />
      <ErrorMessage error={remove.error ?? undefined} />
      {documents.isPending && <p aria-busy="true">{t.working}</p>}
      {documents.isError && (
        <div>
          <ErrorMessage error={documents.error} />
          <button type="button" onClick={() => documents.refetch()}>
            {t.retry}
          </button>
        </div>
      )}
      {documents.data && documents.data.documents.length === 0 && !uploading && (
        <p className="empty">{t.noDocuments}</p>
      )}
      {documents.data && documents.data.documents.length > 0 && (
        <DocumentTable
          documents={documents.data.documents}
          live={live}
          deleting={remove.isPending ? remove.variables : undefined}
          onDelete={(id) => remove.mutate(id)}
        />
      )}
    </main>
  );
}

/** Uploads whose document is in the table: ingesting, ready, or failed with its reason in its row. */
const merged = (item: UploadItem) =>
  item.phase === 'ingesting' || item.phase === 'ready' || item.phase === 'failed';

function DocumentTable({
  documents,
  live,
  deleting,
  onDelete,
}: {
  documents: DocumentSummary[];
  /** Ingestion progress followed live (0..1) for documents uploaded from this page. */
  live: Map<string, number>;
  deleting?: string;
  onDelete(id: string): void;
}) {
  const { t, lang } = useI18n();
  const statusLabel = { processing: t.statusProcessing, ready: t.statusReady, failed: t.statusFailed };
  return (
    <div className="table-wrap">
      <table className="documents">
        <caption className="visually-hidden">{t.documentsTitle}</caption>
        <thead>
          <tr>
            <th scope="col">{t.colName}</th>
            <th scope="col">{t.colStatus}</th>
            <th scope="col">{t.colPages}</th>
            <th scope="col">{t.colChunks}</th>
            <th scope="col">{t.colSize}</th>
            <th scope="col">{t.colAdded}</th>
            <th scope="col">
              <span className="visually-hidden">{t.colActions}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {documents.map((doc) => (
            <tr key={doc.id} data-testid="document-row" data-status={doc.status}>
              <th scope="row" className="doc-name">
                <Link to={`/documents/${doc.id}`} dir="auto" aria-label={t.openDocument(doc.name)}>
                  {doc.name}
                </Link>
              </th>
              <td data-label={t.colStatus}>
                <span className={`badge badge-${doc.status}`}>{statusLabel[doc.status]}</span>
                {doc.status === 'processing' && (
                  <span className="inline-progress">
                    <progress
                      max={1}
                      value={Math.max(live.get(doc.id) ?? 0, ingestionFraction(doc))}
                      aria-label={`${t.progressOf(doc.name)} — ${t.ingesting}`}
                    />
                    <span aria-hidden="true">
                      {formatPercent(Math.max(live.get(doc.id) ?? 0, ingestionFraction(doc)), lang)}
                    </span>
                  </span>
                )}
                {doc.status === 'failed' && doc.error && <p className="error small">{doc.error}</p>}
              </td>
              <td data-label={t.colPages}>{formatNumber(doc.pages, lang)}</td>
              <td data-label={t.colChunks}>{formatNumber(doc.chunks, lang)}</td>
              <td data-label={t.colSize}>{formatBytes(doc.size_bytes, lang)}</td>
              <td data-label={t.colAdded}>
                <DualDate iso={doc.created_at} />
              </td>
              <td>
                <ConfirmButton
                  label={t.delete}
                  accessibleLabel={t.deleteNamed(doc.name)}
                  question={t.confirmDelete(doc.name)}
                  disabled={deleting === doc.id}
                  onConfirm={() => onDelete(doc.id)}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
