// Entry of the ingestion threads when DocuChat runs from its TypeScript sources (npm start, tests): Node 20 does
// not apply an `--import tsx` loader to a worker's entry point, so the thread registers it here (as the
// embedded database's thread does, app/db/embedded-worker-tsx.mjs). The compiled build loads the .js directly.
import { register } from 'tsx/esm/api';

register();
const tasks = await import(new URL('./ingestion-tasks.ts', import.meta.url).href);
export default tasks.default;
