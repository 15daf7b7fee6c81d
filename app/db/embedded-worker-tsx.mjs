// Entry of the embedded database thread when DocuChat runs from its TypeScript sources (npm start, tests):
// Node 20 does not apply an `--import tsx` loader to a worker's entry point, so the worker registers it here.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./embedded-worker.ts', import.meta.url).href);
