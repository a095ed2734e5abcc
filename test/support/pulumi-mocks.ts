import * as pulumi from "@pulumi/pulumi";
import { createMocks, MOCK_ACCOUNT_ID } from "../../tools/render/mocks";
import { Recorder, ResourceRecord } from "../../tools/render/recorder";
import { REPO_ROOT } from "../../tools/render/render";

/**
 * The render's mocks and recorder (tools/render) for tests that build components under `pulumi.runtime.setMocks`,
 * with the real (unredacted) values the tests compare: inputs and outputs with secrets unwrapped.
 */

export const MOCK_ACCOUNT = MOCK_ACCOUNT_ID;
/** The mocks' region when neither a resource, its provider nor config names one. */
export const MOCK_REGION = "eu-west-1";
/** The zone IDs the mocked getAvailabilityZones returns for MOCK_REGION. */
export const MOCK_ZONE_IDS = ["euw1-az1", "euw1-az2", "euw1-az3"];

export interface RecordedResource extends Omit<ResourceRecord, "inputs"> {
    /** Inputs with secrets unwrapped; unknown values (preview) are undefined. */
    inputs: Record<string, any>;
    /** Top-level input names whose value was (or contained) a secret. */
    secretInputs: string[];
    /** Id and outputs the mocks returned, secrets unwrapped ("" and no computed outputs in a preview). */
    id: string;
    outputs: Record<string, any>;
}

export interface RecordedInvoke {
    token: string;
    inputs: Record<string, any>;
    result: Record<string, any>;
}

export class ResourceRecorder {
    private constructor(
        private readonly recorder: Recorder,
        readonly invokes: RecordedInvoke[],
    ) {}

    /** Installs fresh mocks and empty config (replacing any earlier ones) and starts recording. */
    static async start(options: { preview?: boolean; invokeOverrides?: Record<string, (inputs: Record<string, any>) => Record<string, unknown>> } = {}): Promise<ResourceRecorder> {
        const mocks = createMocks({ projectDir: REPO_ROOT, defaultRegion: MOCK_REGION });
        const invokes: RecordedInvoke[] = [];
        await pulumi.runtime.setMocks(
            {
                ...mocks,
                call: async (args) => {
                    const override = options.invokeOverrides?.[args.token];
                    const result = override ? override(plain(args.inputs).value) : await mocks.call(args);
                    invokes.push({ token: args.token, inputs: plain(args.inputs).value, result: plain(result).value });
                    return result;
                },
            },
            "project",
            "stack",
            options.preview ?? false,
        );
        pulumi.runtime.setAllConfig({}, []);
        return new ResourceRecorder(Recorder.attach({ projectDir: REPO_ROOT }), invokes);
    }

    /** Waits until every pending registration and RPC of the program has finished. */
    async settle(): Promise<void> {
        await pulumi.runtime.disconnect();
    }

    /** Every registered resource, sorted by URN. */
    get resources(): RecordedResource[] {
        return this.recorder.resources().map((record) => {
            const wire = this.recorder.wire(record.urn)!;
            return {
                ...record,
                inputs: plain(wire.inputs).value,
                secretInputs: Object.keys(wire.inputs).filter((key) => plain(wire.inputs[key]).secret),
                id: wire.id,
                outputs: plain(wire.outputs).value,
            };
        });
    }

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The single resource of a type (optionally with this exact name); throws if there are none or several. */
    one(type: string, name?: string): RecordedResource {
        const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
        if (found.length !== 1) {
            throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        }
        return found[0];
    }

    byUrn(urn: string): RecordedResource {
        const found = this.resources.find((r) => r.urn === urn);
        if (!found) {
            throw new Error(`no recorded resource ${urn}`);
        }
        return found;
    }

    /** Every resource URN `resource` waits for, directly or transitively (dependencies and explicit providers). */
    upstream(resource: RecordedResource): Set<string> {
        const seen = new Set<string>();
        const queue = [resource];
        while (queue.length > 0) {
            const current = queue.pop()!;
            for (const urn of [...current.dependencies, current.provider]) {
                if (urn !== null && !seen.has(urn)) {
                    seen.add(urn);
                    queue.push(this.byUrn(urn));
                }
            }
        }
        return seen;
    }
}

/** Leaves the process as it was before any mocks: no monitor, not a preview, empty config. Use in `after`. */
export async function stopMocks(): Promise<void> {
    await pulumi.runtime.disconnect();
    pulumi.runtime.resetOptions("", "", -1, "", "", false, "");
    pulumi.runtime.setAllConfig({}, []);
}

/** Resolves an Output's value in tests (undefined if unknown during a preview). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Whether an Output is marked secret. */
export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as unknown as { isSecret: Promise<boolean> }).isSecret;
}

/** A wire value as plain JS: secrets unwrapped (and reported), unknowns undefined. */
function plain(value: unknown): { value: any; secret: boolean } {
    if (value === pulumi.runtime.unknownValue) {
        return { value: undefined, secret: false };
    }
    if (pulumi.runtime.isRpcSecret(value)) {
        return { value: plain(pulumi.runtime.unwrapRpcSecret(value)).value, secret: true };
    }
    if (Array.isArray(value)) {
        const items = value.map(plain);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value).map(([key, item]) => [key, plain(item)] as const);
        return { value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])), secret: entries.some(([, item]) => item.secret) };
    }
    return { value, secret: false };
}
