import { randomUUID } from "node:crypto";
import { Router, type Request, type RequestHandler, type Response } from "express";
import multer from "multer";
import { z } from "zod";
import { isUuid } from "../analysis.js";
import type { AnalyzerClient } from "../analyzer.js";
import type { AnalysisCache } from "../cache.js";
import type { CursorCodec } from "../cursor.js";
import type { AnalysisStore } from "../db.js";
import { errorBody, HttpError } from "../errors.js";
import { isAcceptedImageType, normaliseMediaType, sniffImageType } from "../images.js";
import type { Metrics } from "../metrics.js";
import { toUploadError } from "../middleware.js";
import type { UploadSlots } from "../upload-slots.js";

export interface AnalysesDeps {
  maxUploadBytes: number;
  uploadSlots: UploadSlots;
  /** A body that sends nothing for this long is cut with 408. */
  bodyIdleTimeoutMs: number;
  /**
   * Guards what is expensive: uploads (analyzer + write) and listings. Reading one analysis costs a
   * Redis GET, at worst a primary-key lookup, no more than the limiter's own bookkeeping.
   */
  rateLimit: RequestHandler;
  store: AnalysisStore;
  cache: AnalysisCache;
  analyzer: AnalyzerClient;
  cursors: CursorCodec;
  metrics: Metrics;
}

/** Room for the multipart boundaries and part headers around the image itself. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const listQuery = z.object({
  limit: z.coerce.number({ error: "limit must be an integer from 1 to 100" }).int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

export function analysesRoutes(deps: AnalysesDeps): Router {
  const router = Router();
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 20, headerPairs: 100 },
    defParamCharset: "utf8",
  }).single("image");

  const parseUpload: RequestHandler = (req, res, next) => {
    const declaredLength = Number(req.headers["content-length"] ?? 0);
    if (declaredLength > deps.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
      throw new HttpError(413, "IMAGE_TOO_LARGE", "the image exceeds the upload size limit");
    }
    if (!req.headers["content-type"]) {
      throw new HttpError(400, "MISSING_IMAGE", "send multipart/form-data with the image in the field `image`");
    }
    if (!req.is("multipart/form-data")) {
      throw new HttpError(415, "EXPECTED_MULTIPART", "send multipart/form-data with the image in the field `image`");
    }
    // Only now is the body read into memory: take a slot first (or wait, or 503), give it back when
    // the response is over, whichever way that happens.
    const gone = clientGone(res);
    res.locals.gone = gone;
    deps.uploadSlots.acquire(gone).then((release) => {
      if (gone.aborted) {
        release(); // the close event that would give it back has been and gone
        return;
      }
      res.once("close", release);
      const stalled = (): void => {
        if (!res.headersSent) {
          res.status(408).set("Connection", "close").json(errorBody("BODY_TIMEOUT", `the upload sent nothing for ${deps.bodyIdleTimeoutMs} ms`));
        }
        req.socket.destroySoon();
      };
      // On the request, not the socket: the server destroys a socket whose request ignores a timeout.
      req.setTimeout(deps.bodyIdleTimeoutMs, stalled);
      upload(req, res, (error?: unknown) => {
        req.setTimeout(0);
        req.off("timeout", stalled);
        if (!res.headersSent) next(error === undefined ? undefined : toUploadError(error));
      });
    }, (busy: unknown) => afterDraining(req, () => next(busy)));
  };

  router.post("/api/analyses", deps.rateLimit, parseUpload, async (req, res) => {
    const image = acceptedImage(req);
    const gone = res.locals.gone as AbortSignal;
    const result = await deps.analyzer.analyze(image.bytes, image.contentType, req.id, gone);
    if (gone.aborted) return; // nobody to answer: store nothing
    const analysis = await deps.store.insert({
      id: randomUUID(),
      filename: image.filename,
      contentType: image.contentType,
      sizeBytes: image.bytes.length,
      result,
    });
    deps.metrics.analysesCreated.inc();
    await deps.cache.set(analysis.id, JSON.stringify(analysis));
    res.status(201).location(`/api/analyses/${analysis.id}`).json(analysis);
  });

  router.get("/api/analyses/:id", async (req, res) => {
    const { id } = req.params;
    if (!isUuid(id)) throw new HttpError(400, "INVALID_ID", "id must be a UUID");
    const cached = await deps.cache.get(id.toLowerCase());
    if (cached !== undefined) {
      deps.metrics.cacheLookups.inc({ result: "hit" });
      sendJsonText(res, cached);
      return;
    }
    deps.metrics.cacheLookups.inc({ result: "miss" });
    const analysis = await deps.store.findById(id);
    if (!analysis) throw new HttpError(404, "NOT_FOUND", `no analysis with id ${id}`);
    const json = JSON.stringify(analysis);
    await deps.cache.set(analysis.id, json);
    sendJsonText(res, json);
  });

  router.get("/api/analyses", deps.rateLimit, async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) throw new HttpError(400, "INVALID_QUERY", "limit must be an integer from 1 to 100; cursor a string");
    const after = query.data.cursor === undefined ? undefined : await deps.cursors.decode(query.data.cursor);
    const page = await deps.store.list(query.data.limit + 1, after);
    const items = page.slice(0, query.data.limit);
    const last = items[items.length - 1];
    const nextCursor = page.length > query.data.limit && last ? await deps.cursors.encode(last) : null;
    res.json({ items, nextCursor });
  });

  return router;
}

/**
 * Runs `then` once the rest of the request body has been read and thrown away (as multer does
 * before its errors): a client still sending would otherwise meet a closed connection rather than
 * the answer. Costs no memory; REQUEST_TIMEOUT_MS bounds how long.
 */
function afterDraining(req: Request, then: () => void): void {
  if (req.readableEnded || req.destroyed) {
    then();
    return;
  }
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    then();
  };
  req.once("end", once);
  req.once("close", once);
  req.resume();
}

/** Aborts when the response's connection closes before the response was finished. */
function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Sends JSON that is already text (as cached) without Express re-parsing the content type. */
function sendJsonText(res: Response, json: string): void {
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.end(json);
}

interface AcceptedImage {
  bytes: Buffer;
  contentType: string;
  filename: string;
}

/** The upload must be a non-empty PNG/JPEG/WebP/GIF whose bytes match the type it claims. */
function acceptedImage(req: Request): AcceptedImage {
  const file = req.file;
  if (!file) throw new HttpError(400, "MISSING_IMAGE", "the multipart body has no file in the field `image`");
  if (file.size === 0) throw new HttpError(400, "EMPTY_IMAGE", "the image is empty");
  const declared = normaliseMediaType(file.mimetype);
  if (!isAcceptedImageType(declared)) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `${declared || "this type"} is not accepted; send PNG, JPEG, WebP or GIF`);
  }
  const actual = sniffImageType(file.buffer);
  if (actual !== declared) {
    throw new HttpError(415, "CONTENT_MISMATCH", `the file's bytes are not a ${declared} image`);
  }
  return { bytes: file.buffer, contentType: actual, filename: cleanFilename(file.originalname) };
}

/**
 * The last path part, without control characters (Cc), format characters (Cf: the bidirectional
 * overrides and isolates that make "gpj.exe" read as "exe.jpg", zero-width characters) and line or
 * paragraph separators, at most 255 characters.
 */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const printable = base.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, "").trim();
  return [...printable].slice(0, 255).join("") || "upload";
}
