/**
 * A reconcile loop for the test's stand-ins of cluster add-ons: runs `reconcile` every interval
 * until stopped. Errors are kept for the test to report; a stand-in must not crash the suite.
 */
export class PollLoop {
    private timer: NodeJS.Timeout | undefined;
    private running: Promise<void> = Promise.resolve();
    readonly errors: string[] = [];

    constructor(
        private readonly reconcile: () => Promise<void>,
        private readonly intervalMs = 500,
    ) {}

    start(): void {
        const tick = () => {
            this.running = this.reconcile()
                .catch((error: unknown) => {
                    this.errors.push(String(error));
                })
                .finally(() => {
                    if (this.timer !== undefined) {
                        this.timer = setTimeout(tick, this.intervalMs);
                    }
                });
        };
        this.timer = setTimeout(tick, 0);
    }

    async stop(): Promise<void> {
        const timer = this.timer;
        this.timer = undefined;
        if (timer !== undefined) {
            clearTimeout(timer);
        }
        await this.running;
    }
}
