import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON lines on stdout; level names instead of numbers so log queries read naturally.
 * Writes are asynchronous (lines logged while a write is in flight go out together), which keeps
 * a log line per request affordable; pino flushes what is pending when the process exits.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: "nsip-api" },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
