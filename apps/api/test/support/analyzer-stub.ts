import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** How the stand-in analyzer answers the next requests. */
export type StubBehaviour =
  | { kind: "ok"; delayMs?: number; /** answer only once this settles */ until?: Promise<unknown> }
  | { kind: "status"; status: number; body: string }
  | { kind: "garbage" }
  | { kind: "hang" };

export interface ReceivedRequest {
  contentType: string | undefined;
  requestId: string | undefined;
  bytes: number;
}

export interface AnalyzerStub {
  url: string;
  behaviour: StubBehaviour;
  received: ReceivedRequest[];
  /** Requests whose connection the api closed before the stub answered. */
  abandoned: number;
  close(): Promise<void>;
}

/** A deterministic AnalyzerResult in the CONTRACT's shape, sized from a PNG's header when it has one. */
export function stubResult(body: Buffer): Record<string, unknown> {
  const isPng = body.length >= 24 && body.readUInt32BE(12) === 0x49484452; // "IHDR"
  const width = isPng ? body.readUInt32BE(16) : 1;
  const height = isPng ? body.readUInt32BE(20) : 1;
  return {
    width,
    height,
    threshold: 127,
    backgroundRatio: 0.75,
    largestEmptyRectangle: { x: 0, y: 0, width, height: Math.max(1, Math.floor(height / 4)), areaRatio: 0.25 },
    occupancyGrid: { rows: 2, cols: 2, cells: [[0, 0.5], [0.5, 1]] },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A real HTTP server on a loopback port standing in for the analyzer (a separate service with its
 * own tests), so the api's error paths can be driven: delays, error statuses, garbage, hangs.
 */
export async function startAnalyzerStub(): Promise<AnalyzerStub> {
  const stub: Omit<AnalyzerStub, "url" | "close"> = { behaviour: { kind: "ok" }, received: [], abandoned: 0 };
  const server: Server = createServer(async (req, res) => {
    res.once("close", () => {
      if (!res.writableFinished) stub.abandoned += 1;
    });
    const body = await readBody(req);
    if (req.method !== "POST" || req.url !== "/analyze") {
      res.writeHead(404).end();
      return;
    }
    stub.received.push({
      contentType: req.headers["content-type"],
      requestId: req.headers["x-request-id"] as string | undefined,
      bytes: body.length,
    });
    const behaviour = stub.behaviour;
    switch (behaviour.kind) {
      case "ok":
        if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
        if (behaviour.until) await behaviour.until;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stubResult(body)));
        return;
      case "status":
        res.writeHead(behaviour.status, { "content-type": "application/json" }).end(behaviour.body);
        return;
      case "garbage":
        res.writeHead(200, { "content-type": "application/json" }).end("{not json");
        return;
      case "hang":
        return; // never answers; closed when the stub closes
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
