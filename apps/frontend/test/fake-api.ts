import { vi } from "vitest";
import type { ApiClient } from "../src/api/client";

/** An ApiClient whose every call is a vi.fn, for tests of the components above the client. */
export function fakeApi() {
  return {
    uploadImage: vi.fn<ApiClient["uploadImage"]>(),
    getAnalysis: vi.fn<ApiClient["getAnalysis"]>(),
    listAnalyses: vi.fn<ApiClient["listAnalyses"]>(),
  } satisfies ApiClient;
}
