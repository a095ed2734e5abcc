import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { profileDefaults } from "../stacks/profiles";
import type { Environment } from "../stacks/schema";
import { bytes } from "./support/rendered";

/**
 * The api's and the analyzer's pod memory limits and worker counts are derived from measured peaks,
 * committed as data by the benchmarks that measure them:
 *   apps/analyzer/memory-peaks.json  `/usr/bin/python3 bench.py --memory --write memory-peaks.json`
 *   apps/api/memory-peaks.json       `npm run bench:memory -- --write memory-peaks.json`
 * A limit below what the measurement requires fails here, before a hostile upload finds it in a pod.
 */
const MARGIN = 1.25;
const MiB = 2 ** 20;

interface AnalyzerPeaks {
    maxImagePixels: number;
    masterPeakMiB: number;
    workerPeakMiB: number;
    workerPeakMiBByInput: Record<string, number>;
}

interface ApiPeaks {
    maxUploadBytes: number;
    idleMiB: number;
    perUploadMiB: number;
}

function read<T>(relative: string): T {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "..", relative), "utf8")) as T;
}

const analyzerPeaks = read<AnalyzerPeaks>("apps/analyzer/memory-peaks.json");
const apiPeaks = read<ApiPeaks>("apps/api/memory-peaks.json");

/** Every worker holding the costliest accepted image at once, plus the master. */
export function analyzerRequiredBytes(workers: number, peaks: AnalyzerPeaks = analyzerPeaks): number {
    return (peaks.masterPeakMiB + workers * peaks.workerPeakMiB) * MARGIN * MiB;
}

/** The warm api's RSS plus every upload slot holding the largest upload. */
export function apiRequiredBytes(slots: number, uploadBytes: number, peaks: ApiPeaks = apiPeaks): number {
    const perUpload = peaks.perUploadMiB * (uploadBytes / peaks.maxUploadBytes);
    return (peaks.idleMiB + slots * perUpload) * MARGIN * MiB;
}

describe("pod memory limits cover the measured peaks", () => {
    it("the measured figures are plausible and for the limits the apps run with", () => {
        assert.equal(analyzerPeaks.maxImagePixels, 40_000_000, "the analyzer's default MAX_IMAGE_PIXELS (the profile does not override it)");
        assert.equal(analyzerPeaks.workerPeakMiB, Math.max(...Object.values(analyzerPeaks.workerPeakMiBByInput)));
        // A 40 MP 8-bit grayscale copy alone is 38 MiB: a smaller peak is not a measurement.
        assert.ok(analyzerPeaks.workerPeakMiB > 40_000_000 / MiB);
        assert.ok(apiPeaks.perUploadMiB >= apiPeaks.maxUploadBytes / MiB, "an upload costs at least its own size");
    });

    for (const env of ["dev", "prod"] as Environment[]) {
        const profile = profileDefaults(env);

        it(`${env}: the analyzer pod holds ${profile.services.analyzer.workers} workers at their peak`, () => {
            const { workers, resources } = profile.services.analyzer;
            const required = analyzerRequiredBytes(workers);
            assert.ok(
                bytes(resources.limits.memory) >= required,
                `analyzer limit ${resources.limits.memory} < ${(required / MiB).toFixed(0)}Mi required for ${workers} workers`,
            );
        });

        it(`${env}: the api pod holds ${profile.api.maxConcurrentUploads} uploads of ${profile.api.maxUploadBytes} bytes in flight`, () => {
            const { maxConcurrentUploads, maxUploadBytes } = profile.api;
            const limit = bytes(profile.services.api.resources.limits.memory);
            const required = apiRequiredBytes(maxConcurrentUploads, maxUploadBytes);
            assert.ok(limit >= required, `api limit ${profile.services.api.resources.limits.memory} < ${(required / MiB).toFixed(0)}Mi required`);
        });
    }

    it("fails for a limit below the measurement (the check can fail)", () => {
        assert.ok(analyzerRequiredBytes(4) > bytes("1Gi"), "four 40 MP workers do not fit in 1Gi");
        assert.ok(apiRequiredBytes(32, 10 * MiB) > bytes("512Mi"), "32 uploads of 10 MiB do not fit in 512Mi");
    });
});
