import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/api-context.js';
import type { DocumentSummary } from '../api/types.js';
import { formatBytes, formatNumber, formatPercent } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../layout/ConfirmButton.js';
import { DualDate } from '../layout/DualDate.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { ingestionFraction } from './ingestion-progress.js';
import { UploadList } from './UploadList.js';
import { UploadZone } from './UploadZone.js';
import { useUploads } from './use-uploads.js';

/** While any document is still processing, the list refreshes itself (also for uploads from another tab). */
const PROCESSING_REFRESH_MS = 2000;

export function DocumentsPage() {
  const api = useApi();
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const uploads = useUploads();
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

  return (
    <main id="main" className="page">
      <h1>{t.documentsTitle}</h1>
      <UploadZone onFiles={uploads.start} />
      <UploadList items={uploads.items} onDismiss={uploads.dismiss} />
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
      {documents.data && documents.data.documents.length === 0 && <p className="empty">{t.noDocuments}</p>}
      {documents.data && documents.data.documents.length > 0 && (
        <DocumentTable
          documents={documents.data.documents}
          deleting={remove.isPending ? remove.variables : undefined}
          onDelete={(id) => remove.mutate(id)}
        />
      )}
    </main>
  );
}

function DocumentTable({
  documents,
  deleting,
  onDelete,
}: {
  documents: DocumentSummary[];
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
              <th scope="row" dir="auto" className="doc-name">
                {doc.name}
              </th>
              <td data-label={t.colStatus}>
                <span className={`badge badge-${doc.status}`}>{statusLabel[doc.status]}</span>
                {doc.status === 'processing' && (
                  <span className="inline-progress">{formatPercent(ingestionFraction(doc), lang)}</span>
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
