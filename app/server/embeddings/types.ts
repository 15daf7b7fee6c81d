/** Turns texts into vectors of a fixed dimension, one per text, in input order. */
export interface Embedder {
  /** Stored with every chunk, so a change of model is detected and needs `npm run reindex`. */
  readonly model: string;
  readonly dimensions: number;
  embed(texts: string[], opts?: { signal?: AbortSignal }): Promise<number[][]>;
}
