/**
 * Run count, seed and time budget of the property-based config tests. CI runs the defaults (a fixed
 * seed, so every run checks the same configs); locally, more runs or another seed find more:
 *
 *   NSIP_PROPERTY_RUNS=500 NSIP_PROPERTY_SEED=$RANDOM NSIP_PROPERTY_MINUTES=30 npm run test:property
 *
 * A failure prints the seed and path that reproduce it (fast-check's `seed` and `path`).
 */
export interface PropertySettings {
    runs: number;
    seed: number;
    /** Wall-time budget per property; fast-check stops starting new runs after it. */
    timeLimitMs: number;
}

export function propertySettings(defaults: { runs: number; minutes: number }): PropertySettings {
    const number = (name: string, fallback: number): number => {
        const text = process.env[name];
        if (text === undefined || text === "") return fallback;
        const value = Number(text);
        if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
        return value;
    };
    return {
        runs: Math.floor(number("NSIP_PROPERTY_RUNS", defaults.runs)),
        seed: Math.floor(number("NSIP_PROPERTY_SEED", 20261202)),
        timeLimitMs: number("NSIP_PROPERTY_MINUTES", defaults.minutes) * 60_000,
    };
}
