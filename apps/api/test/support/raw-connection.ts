import { connect } from "node:net";

/** A piece of a raw exchange: bytes to write, or a pause before the next piece. */
export type RawChunk = string | Buffer | { pauseMs: number };

/**
 * Sends raw bytes on a new loopback connection, pausing where asked (slow or stalled clients), and
 * resolves with everything the server sent back once it closed the connection. Rejects when the
 * server keeps the connection open past `timeoutMs`.
 */
export function rawExchange(port: number, chunks: RawChunk[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; got: ${received.slice(0, 200)}`));
    }, timeoutMs);
    socket.on("data", (data) => (received += data.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    void (async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        if (typeof chunk === "object" && "pauseMs" in chunk) await new Promise((done) => setTimeout(done, chunk.pauseMs));
        else socket.write(chunk);
      }
    })();
  });
}
