import { HttpError } from "./errors.js";

/**
 * A bound on the uploads whose bodies are read and held at once. Each upload in flight costs
 * about twice its size in memory (multer's chunks, then the one Buffer they are joined into), so
 * `limit` x that is what the pod's memory limit must hold (stacks/profiles.ts, tested against
 * measured peaks). A request beyond the limit waits, its body still in the socket, for up to
 * `waitMs`, in a queue of at most `maxWaiting`; then it gets 503 with Retry-After.
 */
export class UploadSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    private readonly waitMs: number,
    private readonly maxWaiting: number,
  ) {}

  get inUse(): number {
    return this.active;
  }

  /** Resolves with the function that gives the slot back (call it exactly once). */
  async acquire(gone: AbortSignal): Promise<() => void> {
    if (this.active < this.limit) return this.take();
    if (this.waiting.length >= this.maxWaiting) throw busy(this.waitMs);
    return new Promise((resolve, reject) => {
      const ready = (): void => {
        clearTimeout(timer);
        gone.removeEventListener("abort", leave);
        resolve(this.take());
      };
      const leave = (): void => {
        clearTimeout(timer);
        gone.removeEventListener("abort", leave);
        const index = this.waiting.indexOf(ready);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(busy(this.waitMs));
      };
      const timer = setTimeout(leave, this.waitMs);
      gone.addEventListener("abort", leave, { once: true });
      this.waiting.push(ready);
    });
  }

  private take(): () => void {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.waiting.shift()?.();
    };
  }
}

function busy(waitMs: number): HttpError {
  return new HttpError(503, "UPLOADS_BUSY", "too many uploads in progress, retry shortly", {
    "Retry-After": String(Math.max(1, Math.ceil(waitMs / 1000))),
  });
}
