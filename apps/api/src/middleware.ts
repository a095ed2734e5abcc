import { randomUUID } from "node:crypto";
import type { ErrorRequestHandler, RequestHandler } from "express";
import multer from "multer";
import { pinoHttp } from "pino-http";
import { errorBody, HttpError } from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** pino-http with request ids: a sane incoming X-Request-Id is honoured, else a UUID; echoed in the response. */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const incoming = req.headers["x-request-id"];
      const id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader("X-Request-Id", id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === "/health" || req.url === "/ready" },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

/** Observes every response in http_request_duration_seconds, labelled by the matched route pattern. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpRequestDuration.startTimer();
    res.once("finish", () => {
      const route: unknown = req.route?.path;
      stop({ method: req.method, route: typeof route === "string" ? route : "unmatched", status_code: res.statusCode });
    });
    next();
  };
}

/** Tracks in-flight responses and, once shutting down, tells clients not to reuse the connection. */
export function connectionDraining(lifecycle: Lifecycle): RequestHandler {
  return (_req, res, next) => {
    if (lifecycle.shuttingDown) res.setHeader("Connection", "close");
    lifecycle.inFlight.add(res);
    res.once("close", () => lifecycle.inFlight.delete(res));
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

/** Anything that goes wrong while parsing an upload is the client's doing: the storage is memory. */
export function toUploadError(error: unknown): HttpError {
  if (error instanceof multer.MulterError) {
    const known = UPLOAD_ERRORS[error.code];
    if (known) return new HttpError(known.status, known.code, known.message);
    return new HttpError(400, "INVALID_UPLOAD", error.message);
  }
  const message = error instanceof Error ? error.message : "unreadable multipart body";
  return new HttpError(400, "MALFORMED_MULTIPART", `the multipart body could not be read: ${message}`);
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
    let httpError: HttpError;
    if (error instanceof HttpError) {
      httpError = error;
    } else if (isClientError(error)) {
      httpError = new HttpError(error.status, "BAD_REQUEST", error.expose ? error.message : "bad request");
    } else if (isDependencyOutage(error)) {
      (req.log ?? logger).error({ err: error }, "dependency unavailable");
      httpError = new HttpError(503, "SERVICE_UNAVAILABLE", "a backing service is unavailable, try again later");
    } else {
      (req.log ?? logger).error({ err: error }, "unhandled error");
      httpError = new HttpError(500, "INTERNAL", "internal error");
    }
    res.status(httpError.status).json(errorBody(httpError.code, httpError.message));
  };
}

/** Errors from Express itself or its parsers that carry a 4xx status (e.g. a malformed URI). */
function isClientError(error: unknown): error is { status: number; expose?: boolean; message: string } {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}
