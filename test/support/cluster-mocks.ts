import * as pulumi from "@pulumi/pulumi";

/**
 * A small resource recorder on top of `pulumi.runtime.setMocks`. It wraps the mock monitor's `registerResource`
 * so it sees exactly what the engine would: type, name, parent, provider, protect/retainOnDelete and the full
 * dependency list (explicit dependsOn plus the resources behind Output inputs, components expanded to their
 * custom children), and records the inputs the mocks receive.
 */

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** Parent URN, "" for none. */
    parent: string;
    /** Provider URN for custom resources that name one explicitly, "" otherwise. */
    provider: string;
    /** URNs this resource waits for. */
    dependencies: string[];
    protect: boolean;
    retainOnDelete: boolean;
    /** Inputs with secrets unwrapped; unknown values (preview) are undefined. */
    inputs: Record<string, any>;
    /** Top-level input names whose value was (or contained) a secret. */
    secretInputs: string[];
}

export interface RecordedInvoke {
    token: string;
    inputs: Record<string, any>;
}

export interface RecorderOptions {
    /** Run as `pulumi preview`: the mocks return only the inputs, so every computed output is unknown. */
    preview?: boolean;
}

export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "eu-west-1";
export const MOCK_AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretWrapper(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

function unwrapSecrets(value: unknown): { value: any; secret: boolean } {
    // A preview's unknown value can arrive as the SDK's Unknown sentinel object; record it as undefined.
    if (typeof value === "object" && value !== null && (value as { __pulumiUnknown?: boolean }).__pulumiUnknown === true) {
        return { value: undefined, secret: false };
    }
    if (isSecretWrapper(value)) {
        return { value: unwrapSecrets(value.value).value, secret: true };
    }
    if (Array.isArray(value)) {
        const items = value.map(unwrapSecrets);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (typeof value === "object" && value !== null) {
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const inner = unwrapSecrets(v);
            out[k] = inner.value;
            secret ||= inner.secret;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

/** The fake PEM the mocks return for a tls resource of this name (`kind`: CERTIFICATE, PRIVATE KEY, ...). */
export function mockPem(kind: string, name: string): string {
    return `-----BEGIN ${kind}-----\nmock-${name}\n-----END ${kind}-----\n`;
}

/** Outputs a real provider would compute, for the resource types the cluster components read back. */
function computedOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
    const pem = (kind: string) => mockPem(kind, name);
    // Every AWS resource gets an ARN naming its type's service and the resource name, e.g. arn:aws:kms:...:prod-secrets.
    const arn = type.startsWith("aws:") ? { arn: `arn:aws:${type.split(/[:/]/)[1]}:${MOCK_REGION}:${MOCK_ACCOUNT}:${name}` } : {};
    return { ...arn, ...typeSpecificOutputs(type, name, inputs, pem) };
}

function typeSpecificOutputs(type: string, name: string, inputs: Record<string, any>, pem: (kind: string) => string): Record<string, unknown> {
    switch (type) {
        case "aws:eks/cluster:Cluster":
            return {
                endpoint: `https://${inputs.name}.gr7.${MOCK_REGION}.eks.amazonaws.com`,
                certificateAuthority: { data: Buffer.from(pem("CERTIFICATE")).toString("base64") },
                region: MOCK_REGION,
            };
        case "aws:ecr/repository:Repository":
            return { repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${inputs.name}`, registryId: MOCK_ACCOUNT };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { latestVersion: 1 };
        case "aws:kms/key:Key":
            return { keyId: `key-${name}` };
        case "docker:index/remoteImage:RemoteImage":
            return { imageId: `sha256:${Buffer.from(name).toString("hex")}` };
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: pem("PRIVATE KEY") };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: pem("CERTIFICATE") };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: pem("CERTIFICATE REQUEST") };
        default:
            return {};
    }
}

function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { id: MOCK_REGION, names: MOCK_AZS, zoneIds: MOCK_AZS.map((_, i) => `euw1-az${i + 1}`), region: MOCK_REGION };
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {
                id: MOCK_REGION,
                proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com`,
                userName: "AWS",
                password: "mock-ecr-password",
                authorizationToken: Buffer.from("AWS:mock-ecr-password").toString("base64"),
                expiresAt: "2030-01-01T00:00:00Z",
                region: MOCK_REGION,
            };
        default:
            return {};
    }
}

/** Only the parts of the protobuf request the recorder reads. */
interface RegisterResourceRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProvider(): string;
    getDependenciesList(): string[];
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}
type Callback = (err: unknown, response: { getUrn(): string } | undefined) => void;
interface MockMonitorLike {
    registerResource(req: RegisterResourceRequest, callback: Callback): Promise<void>;
}

export class ResourceRecorder {
    readonly resources: RecordedResource[] = [];
    readonly invokes: RecordedInvoke[] = [];

    private constructor() {}

    /** Installs fresh mocks (replacing any earlier ones) and starts recording. */
    static async start(options: RecorderOptions = {}): Promise<ResourceRecorder> {
        const recorder = new ResourceRecorder();
        const preview = options.preview ?? false;
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({
                    id: preview ? undefined : `${args.name}-id`,
                    state: preview ? args.inputs : { name: args.inputs.name ?? args.name, ...args.inputs, ...computedOutputs(args.type, args.name, args.inputs) },
                }),
                call: (args) => {
                    recorder.invokes.push({ token: args.token, inputs: args.inputs });
                    return mockCall(args);
                },
            },
            "project",
            "stack",
            preview,
        );
        const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) =>
            register(req, (err, response) => {
                if (!err && response) {
                    const inputs = unwrapSecrets(pulumi.runtime.deserializeProperties(req.getObject()));
                    recorder.resources.push({
                        urn: response.getUrn(),
                        type: req.getType(),
                        name: req.getName(),
                        custom: req.getCustom(),
                        parent: req.getParent(),
                        provider: req.getProvider().replace(/::[^:]*$/, ""),
                        dependencies: req.getDependenciesList(),
                        protect: req.getProtect() ?? false,
                        retainOnDelete: req.getRetainondelete() ?? false,
                        inputs: inputs.value,
                        secretInputs: Object.entries(pulumi.runtime.deserializeProperties(req.getObject()))
                            .filter(([, v]) => unwrapSecrets(v).secret)
                            .map(([k]) => k),
                    });
                }
                callback(err, response);
            });
        return recorder;
    }

    /** Waits until every pending registration and RPC of the program has finished. */
    async settle(): Promise<void> {
        const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
        await settings.waitForRPCs();
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
            for (const urn of [...current.dependencies, current.provider].filter((u) => u !== "")) {
                if (!seen.has(urn)) {
                    seen.add(urn);
                    queue.push(this.byUrn(urn));
                }
            }
        }
        return seen;
    }
}

/** Resolves an Output's value in tests (undefined if unknown during a preview). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Whether an Output is marked secret. */
export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as unknown as { isSecret: Promise<boolean> }).isSecret;
}
