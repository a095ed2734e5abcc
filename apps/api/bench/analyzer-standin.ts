// Used by the benchmark only when the real analyzer (gunicorn) cannot be started here.
import { startAnalyzerStub } from "../test/support/analyzer-stub.js";

const stub = await startAnalyzerStub();
process.stdout.write(`${JSON.stringify({ url: stub.url })}\n`);
process.on("SIGTERM", () => void stub.close().then(() => process.exit(0)));
