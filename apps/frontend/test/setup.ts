import { afterEach } from "vitest";

// Without vitest globals, Testing Library cannot register its own cleanup; unmount between tests here.
afterEach(async () => {
  if (typeof document === "undefined") return;
  const { cleanup } = await import("@testing-library/react");
  cleanup();
});
