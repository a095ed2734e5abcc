import { parseAnalysis, parseAnalysisPage, parseErrorBody } from "./parse";
import type { Analysis, AnalysisPage } from "./types";

/** The multipart field name the api reads the upload from. */
export const UPLOAD_FIELD = "image";

/** A failed api call, carrying the message the page shows to the user. */
export class ApiError extends Error {
  constructor(
    /** HTTP status, or 0 when no response arrived. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ListOptions {
  limit?: number;
  cursor?: string | null;
}

export interface ApiClient {
  uploadImage(file: File): Promise<Analysis>;
  getAnalysis(id: string): Promise<Analysis>;
  listAnalyses(options?: ListOptions): Promise<AnalysisPage>;
}

export interface ApiClientOptions {
  /** Where `/analyses` lives; relative in the browser so the edge nginx routes it. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
}

function fallbackMessage(status: number): string {
  if (status === 413) return "The image is larger than the server accepts.";
  if (status === 429) return "Too many requests. Wait a moment and try again.";
  if (status >= 500) return `The server could not handle the request (HTTP ${status}). Try again later.`;
  return `The request failed (HTTP ${status}).`;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Proxies answer some errors (413, 502) with HTML; the status alone then explains it.
    return undefined;
  }
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = (options.baseUrl ?? "/api").replace(/\/+$/, "");
  // Bound lazily: calling window.fetch detached from window throws "Illegal invocation".
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(path: string, init: RequestInit, parse: (body: unknown) => T): Promise<T> {
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, {
        ...init,
        headers: { Accept: "application/json" },
      });
    } catch {
      throw new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");
    }
    const body = await readBody(response).catch(() => undefined);
    if (!response.ok) {
      const error = parseErrorBody(body);
      throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? fallbackMessage(response.status));
    }
    try {
      return parse(body);
    } catch {
      throw new ApiError(response.status, "invalid_response", "The server sent a response the page does not understand.");
    }
  }

  return {
    uploadImage(file) {
      const form = new FormData();
      form.append(UPLOAD_FIELD, file, file.name);
      return request("/analyses", { method: "POST", body: form }, (body) => parseAnalysis(body));
    },
    getAnalysis(id) {
      return request(`/analyses/${encodeURIComponent(id)}`, { method: "GET" }, (body) => parseAnalysis(body));
    },
    listAnalyses({ limit, cursor } = {}) {
      const query = new URLSearchParams();
      if (limit !== undefined) query.set("limit", String(limit));
      if (cursor) query.set("cursor", cursor);
      const search = query.toString();
      return request(`/analyses${search ? `?${search}` : ""}`, { method: "GET" }, parseAnalysisPage);
    },
  };
}
