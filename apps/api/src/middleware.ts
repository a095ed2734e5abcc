import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { ErrorRequestHandler, RequestHandler } from "express";
import multer from "multer";
import { ClientGoneError } from "./analyzer.js";
import { errorBody, HttpError } from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const PROBES = new Set(["/health", "/ready"]);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id: a sane incoming X-Request-Id, else a new UUID. */
      id: string;
    }
  }
}

/**
 * Everything done once per request, with a single listener on the response's end:
 * - request id: a sane incoming X-Request-Id is honoured, else a UUID; echoed in the response
 *   (and sent on to the analyzer by the upload route);
 * - one JSON log line per request (probes excepted), written with pino;
 * - http_request_duration_seconds by method, matched route pattern ("unmatched" if none) and status;
 * - in-flight tracking for the shutdown drain, and `Connection: close` once it has begun.
 *
 * The log line is ours rather than pino-http's: pino-http builds two child loggers per request,
 * which cost about a third of the cached-GET throughput in the benchmark (README).
 */
export function requestLifecycle(deps: { logger: Logger; metrics: Metrics; lifecycle: Lifecycle }): RequestHandler {
  const { logger, metrics, lifecycle } = deps;
  return (req, res, next) => {
    const startedAt = performance.now();
    const incoming = req.headers["x-request-id"];
    const id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader("X-Request-Id", id);
    if (lifecycle.shuttingDown) res.setHeader("Connection", "close");
    lifecycle.inFlight.add(res);
    const isProbe = PROBES.has(req.url);

    res.once("close", () => {
      lifecycle.inFlight.delete(res);
      const completed = res.writableFinished;
      const status = res.statusCode;
      const durationMs = performance.now() - startedAt;
      if (completed) {
        const route: unknown = req.route?.path;
        metrics.httpRequestDuration.observe(
          { method: req.method, route: typeof route === "string" ? route : "unmatched", status_code: status },
          durationMs / 1000,
        );
      }
      if (isProbe) return;
      const level = status >= 500 ? "error" : status >= 400 || !completed ? "warn" : "info";
      logger[level](
        {
          reqId: id,
          req: { method: req.method, url: req.originalUrl, remoteAddress: req.ip },
          res: { statusCode: status },
          responseTime: Math.round(durationMs),
        },
        completed ? "request completed" : "request aborted",
      );
    });
    next();
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, "NOT_FOUND", `no route for ${req.method} ${req.path}`));
};

const UPLOAD_ERRORS: Partial<Record<multer.ErrorCode, { status: number; code: string; message: string }>> = {
  LIMIT_FILE_SIZE: { status: 413, code: "IMAGE_TOO_LARGE", message: "the image exceeds the upload size limit" },
  LIMIT_UNEXPECTED_FILE: { status: 400, code: "UNEXPECTED_FIELD", message: "send exactly one file, in the field `image`" },
  LIMIT_FILE_COUNT: { status: 400, code: "UNEXPECTED_FIELD", message: "send exactly one file, in the field `image`" },
};

/**
 * Anything that goes wrong while parsing an upload is the client's doing: the storage is memory.
 * The parsers' own messages stay out of the response (they are theirs, not a contract).
 */
export function toUploadError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof multer.MulterError) {
    const known = UPLOAD_ERRORS[error.code];
    if (known) return new HttpError(known.status, known.code, known.message);
    return new HttpError(400, "INVALID_UPLOAD", "the multipart body breaks the upload limits: one file `image`, few small fields");
  }
  return new HttpError(400, "MALFORMED_MULTIPART", "the multipart body could not be read");
}

const UNAVAILABLE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|57P0[1-3])$/;

function isDependencyOutage(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === "string" && UNAVAILABLE.test(code)) ||
    (typeof message === "string" && /timeout exceeded when trying to connect|Connection terminated/i.test(message))
  );
}

/** Every error becomes `{ error: { code, message } }`; only our own faults are 5xx and logged as such. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof ClientGoneError) {
      res.status(499).end(); // nobody is listening; the access log records the abort
      return;
    }
    let httpError: HttpError;
    if (error instanceof HttpError) {
      httpError = error;
      if (error.status >= 500 && error.cause !== undefined) logger.warn({ err: error.cause, reqId: req.id }, error.message);
    } else if (isClientError(error)) {
      // Express's and its parsers' messages are theirs: the client gets the status's plain name.
      httpError = new HttpError(error.status, "BAD_REQUEST", (STATUS_CODES[error.status] ?? "bad request").toLowerCase());
    } else if (isDependencyOutage(error)) {
      logger.error({ err: error, reqId: req.id }, "dependency unavailable");
      httpError = new HttpError(503, "SERVICE_UNAVAILABLE", "a backing service is unavailable, try again later");
    } else {
      logger.error({ err: error, reqId: req.id }, "unhandled error");
      httpError = new HttpError(500, "INTERNAL", "internal error");
    }
    res.status(httpError.status).set(httpError.headers).json(errorBody(httpError.code, httpError.message));
  };
}

/** Errors from Express itself or its parsers that carry a 4xx status (e.g. a malformed URI). */
function isClientError(error: unknown): error is { status: number } {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}
