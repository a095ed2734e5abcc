import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    // `npm run dev` talks to a locally running api, like the edge nginx does in the cluster.
    proxy: { "/api": process.env.NSIP_API_URL ?? "http://127.0.0.1:3000" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}", "test/**/*.test.{ts,tsx}"],
    setupFiles: ["./test/setup.ts"],
    // The nginx test builds the SPA and starts a real nginx; give it room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
