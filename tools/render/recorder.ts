import * as pulumi from "@pulumi/pulumi";
import type {
    RegisterResourceOutputsRequest,
    RegisterResourceRequest,
    RegisterResourceResponse,
} from "@pulumi/pulumi/proto/resource_pb";
import { containsSecret, decodeWireValue, DecodeOptions, Json, JsonObject, SECRET_PLACEHOLDER } from "./values";

export interface ResourceRecord {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent: string | null;
    /** URN of the explicit provider (the id part of the reference is dropped: it is unknown in preview). */
    provider: string | null;
    protect: boolean;
    retainOnDelete: boolean;
    /** The `import` option: the id of an existing cloud resource this one adopts (absent when it creates). */
    importId?: string;
    /** The `deleteBeforeReplace` option, present only when set. */
    deleteBeforeReplace?: true;
    /** URNs this resource waits on: dependsOn plus the resources behind its Output inputs, components expanded. */
    dependencies: string[];
    inputs: JsonObject;
}

/** A resource as it went over the wire, undecoded: secrets, unknowns and references still marked by signature keys. */
export interface WireRecord {
    /** The request's inputs, as the SDK serialized them. */
    inputs: Record<string, unknown>;
    /** The id and outputs the mocks returned ("" and no computed outputs in a preview), additionalSecretOutputs marked secret. */
    id: string;
    outputs: Record<string, unknown>;
}

export interface OutputRecord {
    value: Json;
    secret: boolean;
}

type Callback<T> = (error: Error | null, response?: T) => void;
type Struct = NonNullable<ReturnType<RegisterResourceResponse["getObject"]>>;

/** The two MockMonitor methods the recorder listens to (the SDK calls them exactly as it calls the engine). */
interface RecordableMonitor {
    registerResource(request: RegisterResourceRequest, callback: Callback<RegisterResourceResponse>): unknown;
    registerResourceOutputs(request: RegisterResourceOutputsRequest, callback: Callback<unknown>): unknown;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * Records what the SDK sends to the resource monitor, i.e. what the engine would see in `pulumi up`:
 * resolved inputs, parent, provider, options and the dependency URNs the SDK computed.
 */
export class Recorder {
    private readonly records = new Map<string, ResourceRecord>();
    private readonly wireRecords = new Map<string, WireRecord>();
    private stackOutputs: Record<string, unknown> = {};

    private constructor(private readonly decodeOptions: DecodeOptions) {}

    /** Wraps the monitor installed by `pulumi.runtime.setMocks`; call right after it. */
    static attach(decodeOptions: DecodeOptions): Recorder {
        const monitor = pulumi.runtime.getMonitor() as unknown as RecordableMonitor | undefined;
        if (monitor === undefined || typeof monitor.registerResource !== "function") {
            throw new Error("Recorder.attach: no mock monitor installed (call pulumi.runtime.setMocks first)");
        }
        const recorder = new Recorder(decodeOptions);
        const registerResource = monitor.registerResource.bind(monitor);
        const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
        monitor.registerResource = (request, callback) =>
            registerResource(request, (error, response) => {
                if (error === null && response !== undefined) {
                    markSecretOutputs(response, request.getAdditionalsecretoutputsList());
                    recorder.recordResource(request, response);
                }
                callback(error, response);
            });
        monitor.registerResourceOutputs = (request, callback) => {
            if (recorder.records.get(request.getUrn())?.type === STACK_TYPE) {
                recorder.stackOutputs = request.getOutputs()?.toJavaScript() ?? {};
            }
            return registerResourceOutputs(request, callback);
        };
        return recorder;
    }

    /** Every registered resource, sorted by URN. */
    resources(): ResourceRecord[] {
        return [...this.records.values()].sort((a, b) => compare(a.urn, b.urn));
    }

    /** What went over the wire for one resource, unredacted: for callers that need real values (tests), not for render files. */
    wire(urn: string): WireRecord | undefined {
        return this.wireRecords.get(urn);
    }

    /** Stack outputs as registered by `runInPulumiStack`, secrets redacted. */
    outputs(): Record<string, OutputRecord> {
        const result: Record<string, OutputRecord> = {};
        for (const key of Object.keys(this.stackOutputs).sort()) {
            const wire = this.stackOutputs[key];
            const secret = containsSecret(wire);
            result[key] = { value: secret ? SECRET_PLACEHOLDER : decodeWireValue(wire, this.decodeOptions), secret };
        }
        return result;
    }

    private recordResource(request: RegisterResourceRequest, response: RegisterResourceResponse): void {
        const urn = response.getUrn();
        const wireInputs = request.getObject()?.toJavaScript() ?? {};
        this.wireRecords.set(urn, { inputs: wireInputs, id: response.getId(), outputs: response.getObject()?.toJavaScript() ?? {} });
        const providerRef = request.getProvider();
        this.records.set(urn, {
            urn,
            type: request.getType(),
            name: request.getName(),
            custom: request.getCustom(),
            parent: request.getParent() || null,
            provider: providerRef ? providerRef.slice(0, providerRef.lastIndexOf("::")) : null,
            protect: request.getProtect() ?? false,
            retainOnDelete: request.getRetainondelete() ?? false,
            ...(request.getImportid() ? { importId: request.getImportid() } : {}),
            ...(request.getDeletebeforereplace() ? { deleteBeforeReplace: true as const } : {}),
            dependencies: [...new Set(request.getDependenciesList())].sort(compare),
            inputs: decodeWireValue(wireInputs, this.decodeOptions) as JsonObject,
        });
    }
}

/**
 * The engine marks a resource's `additionalSecretOutputs` (e.g. RandomPassword.result, Secret.data) secret;
 * the MockMonitor does not, so do it here before the SDK resolves the outputs.
 */
function markSecretOutputs(response: RegisterResourceResponse, keys: string[]): void {
    const struct = response.getObject();
    if (struct === undefined || keys.length === 0) {
        return;
    }
    const state = struct.toJavaScript();
    for (const key of keys) {
        const value = state[key];
        if (value !== undefined && !pulumi.runtime.isRpcSecret(value)) {
            state[key] = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
        }
    }
    response.setObject((struct.constructor as unknown as { fromJavaScript(value: typeof state): Struct }).fromJavaScript(state));
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
