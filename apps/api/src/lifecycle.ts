import type { ServerResponse } from "node:http";

/** What the app needs to know about the process's shutdown, shared by the app and server.ts. */
export class Lifecycle {
  shuttingDown = false;
  /** Responses not yet finished, so a shutdown can mark them `Connection: close`. */
  readonly inFlight = new Set<ServerResponse>();

  beginShutdown(): void {
    this.shuttingDown = true;
    for (const res of this.inFlight) {
      if (!res.headersSent) res.setHeader("Connection", "close");
    }
  }
}
