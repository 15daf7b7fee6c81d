import { ConfigError } from '../config/index.js';
import { startDocuChat } from './start.js';

/** `npm start`: serve DocuChat until SIGINT/SIGTERM, then close connections, the database and the logs. */
async function main() {
  let server: Awaited<ReturnType<typeof startDocuChat>>;
  try {
    server = await startDocuChat(process.env);
  } catch (error) {
    const message =
      error instanceof ConfigError ? error.message : `DocuChat failed to start: ${(error as Error).message}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
  const where = server.db.embedded ? `embedded database in ${server.config.dataDir}` : 'PostgreSQL';
  process.stdout.write(
    `DocuChat is running at ${server.url} (${where}; language model: ${server.config.llmProvider})\n`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      await server.close();
      server.logger.flush();
      clearTimeout(force);
      process.exit(0);
    } catch (error) {
      process.stderr.write(`Shutdown failed: ${(error as Error).message}\n`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();
