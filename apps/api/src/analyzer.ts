import { analyzerResultSchema, type AnalyzerResult } from "./analysis.js";
import { HttpError } from "./errors.js";

/** Analyzer answers that mean "this image is bad" and so are the client's problem, not ours. */
const REJECTIONS: Record<number, { status: number; code: string }> = {
  400: { status: 422, code: "IMAGE_REJECTED" },
  413: { status: 413, code: "IMAGE_TOO_LARGE" },
  415: { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" },
  422: { status: 422, code: "IMAGE_REJECTED" },
};

/** Thrown when the request that wanted the analysis went away; nobody hears the answer. */
export class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

/**
 * Client of the analyzer's `POST /analyze`; every failure becomes an HttpError (4xx, 502, 503 or
 * 504). The call is aborted, and the analyzer's connection closed, when ANALYZER_TIMEOUT_MS passes
 * or `gone` fires (the client of the api went away).
 */
export class AnalyzerClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async analyze(image: Uint8Array, contentType: string, requestId: string, gone?: AbortSignal): Promise<AnalyzerResult> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = gone ? AbortSignal.any([timeout, gone]) : timeout;
    let response: Response;
    let body: string;
    try {
      response = await fetch(`${this.baseUrl}/analyze`, {
        method: "POST",
        body: image,
        headers: { "content-type": contentType, "x-request-id": requestId },
        signal,
      });
      body = await response.text();
    } catch (error) {
      if (gone?.aborted) throw new ClientGoneError("the client went away before the analysis finished");
      if (timeout.aborted) {
        throw new HttpError(504, "ANALYZER_TIMEOUT", `the analyzer did not answer within ${this.timeoutMs} ms`);
      }
      throw new HttpError(502, "ANALYZER_UNAVAILABLE", "the analyzer could not be reached", {}, error);
    }

    if (!response.ok) {
      const rejection = REJECTIONS[response.status];
      if (rejection) throw new HttpError(rejection.status, rejection.code, analyzerMessage(body) ?? "the analyzer rejected the image");
      if (response.status === 503) {
        // Over its time budget (or shedding load): the analyzer's worker is free again; so may a retry be.
        throw new HttpError(503, "ANALYZER_BUSY", "the analysis did not finish in time, retry shortly", {
          "Retry-After": response.headers.get("retry-after") ?? "1",
        });
      }
      throw new HttpError(502, "ANALYZER_ERROR", `the analyzer failed with HTTP ${response.status}`);
    }
    const result = analyzerResultSchema.safeParse(parseJson(body));
    if (!result.success) throw new HttpError(502, "ANALYZER_BAD_RESPONSE", "the analyzer returned an unexpected response");
    return result.data;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads `{ error: { message } }`, `{ error: "..." }` or `{ message }` from an analyzer error body. */
function analyzerMessage(body: string): string | undefined {
  const json = parseJson(body) as { error?: unknown; message?: unknown } | undefined;
  const error = json?.error;
  const message =
    typeof error === "object" && error !== null ? (error as { message?: unknown }).message : (error ?? json?.message);
  return typeof message === "string" && message.length > 0 ? message.slice(0, 500) : undefined;
}
