import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context.js';
import type { DocumentSummary } from '../api/types.js';
import { ingestionFraction } from './ingestion-progress.js';

export type UploadPhase = 'uploading' | 'ingesting' | 'ready' | 'duplicate' | 'failed';

export interface UploadItem {
  key: string;
  name: string;
  phase: UploadPhase;
  /** 0..1 of the current phase (upload bytes, then ingestion). */
  progress: number;
  error?: unknown;
  /** The server's reason when ingestion failed. */
  reason?: string;
  documentId?: string;
  /** Refused before sending: the file is larger than the server accepts. */
  tooLarge?: { size: number; limit: number };
}

let nextKey = 0;

/**
 * Uploads files one request each (in parallel), then follows each new document's events stream until it is
 * ready or failed. The documents list is refreshed whenever a document appears or settles.
 */
export function useUploads(maxBytes?: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [items, setItems] = useState<UploadItem[]>([]);
  const controllers = useRef(new Set<AbortController>());

  useEffect(() => {
    const active = controllers.current;
    return () => {
      for (const controller of active) controller.abort();
    };
  }, []);

  const update = useCallback((key: string, patch: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  const refreshList = useCallback(
    () => queryClient.invalidateQueries({ queryKey: ['documents'] }),
    [queryClient],
  );

  const follow = useCallback(
    async (key: string, doc: DocumentSummary, signal: AbortSignal) => {
      update(key, { phase: 'ingesting', progress: ingestionFraction(doc), documentId: doc.id });
      for await (const event of api.documentEvents(doc.id, signal)) {
        if (event.document) {
          const settled = event.document.status;
          update(key, {
            phase: settled === 'ready' ? 'ready' : settled === 'failed' ? 'failed' : 'ingesting',
            progress: ingestionFraction(event.document),
            reason: event.document.error ?? undefined,
          });
        } else if (event.event === 'failed') {
          update(key, { phase: 'failed', reason: event.message });
        }
        if (event.event !== 'progress') break;
      }
    },
    [api, update],
  );

  const start = useCallback(
    (files: Iterable<File>) => {
      for (const file of files) {
        const key = `upload-${++nextKey}`;
        if (maxBytes !== undefined && file.size > maxBytes) {
          // The server would refuse it (413) after the whole file went over the network: say so now.
          const tooLarge = { size: file.size, limit: maxBytes };
          setItems((current) => [
            { key, name: file.name, phase: 'failed', progress: 0, tooLarge },
            ...current,
          ]);
          continue;
        }
        const controller = new AbortController();
        controllers.current.add(controller);
        setItems((current) => [{ key, name: file.name, phase: 'uploading', progress: 0 }, ...current]);
        void (async () => {
          try {
            const result = await api.uploadDocument(
              file,
              (fraction) => update(key, { progress: fraction }),
              controller.signal,
            );
            void refreshList();
            if (result.duplicate) {
              update(key, { phase: 'duplicate', progress: 1, documentId: result.document.id });
              return;
            }
            await follow(key, result.document, controller.signal);
          } catch (error) {
            if ((error as Error).name === 'AbortError') return;
            update(key, { phase: 'failed', error });
          } finally {
            controllers.current.delete(controller);
            void refreshList();
          }
        })();
      }
    },
    [api, follow, refreshList, update, maxBytes],
  );

  const dismiss = useCallback((key: string) => {
    setItems((current) => current.filter((item) => item.key !== key));
  }, []);

  return { items, start, dismiss };
}
