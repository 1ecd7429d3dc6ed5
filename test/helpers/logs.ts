import { createLogger, type Logger } from '../../src/observability/logger';
import type { LogLevel } from '../../src/config';

/** One parsed log line. */
export type LogEntry = Record<string, unknown> & { msg?: string; level: number };

/** The app's logger (same redaction and request-id rules), writing JSON lines into memory. */
export function captureLogs(level: LogLevel = 'info'): { logger: Logger; text(): string; entries(): LogEntry[] } {
  const lines: string[] = [];
  const logger = createLogger({ logLevel: level, nodeEnv: 'test' }, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    text: () => lines.join(''),
    entries: () => lines.map((l) => JSON.parse(l) as LogEntry),
  };
}

/** pino's numeric level for `error`. */
export const ERROR_LEVEL = 50;
