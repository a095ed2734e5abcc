import { pino, type Logger } from "pino";

export type { Logger };

/** JSON lines on stdout; level names instead of numbers so log queries read naturally. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "nsip-api" },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ["req.headers.authorization", "req.headers.cookie"],
  });
}
