import { stopServices } from "./services.js";

/** Mocha global fixture: the shared PostgreSQL and Redis go down once every suite has run. */
export async function mochaGlobalTeardown(): Promise<void> {
  await stopServices();
}
