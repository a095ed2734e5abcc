import * as https from "https";

/**
 * A small Kubernetes API client for the test control plane: raw HTTPS with a client certificate,
 * so every response's status, body and `Warning` headers are visible to the tests as the API server
 * sent them (client libraries swallow or reformat warnings). Server-side apply is one PATCH.
 */

export interface KubeCredentials {
    server: string;
    caPem: string;
    certPem: string;
    keyPem: string;
}

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
    [key: string]: unknown;
}

export interface KubeResponse<T = unknown> {
    status: number;
    body: T;
    /** The text of each `Warning: 299 - "..."` header, as admission and validation sent it. */
    warnings: string[];
}

export class KubeApiError extends Error {
    constructor(
        readonly method: string,
        readonly path: string,
        readonly status: number,
        readonly body: unknown,
    ) {
        const message = typeof body === "object" && body !== null && "message" in body ? String((body as { message: unknown }).message) : JSON.stringify(body);
        super(`${method} ${path}: HTTP ${status}: ${message}`);
        this.name = "KubeApiError";
    }
}

interface ResourceInfo {
    plural: string;
    namespaced: boolean;
}

export const FIELD_MANAGER = "nsip-test";

export class KubeClient {
    private readonly agent: https.Agent;
    private readonly resources = new Map<string, Promise<Map<string, ResourceInfo>>>();

    constructor(readonly credentials: KubeCredentials) {
        this.agent = new https.Agent({
            ca: credentials.caPem,
            cert: credentials.certPem,
            key: credentials.keyPem,
            keepAlive: true,
            maxSockets: 8,
        });
    }

    close(): void {
        this.agent.destroy();
    }

    async request<T = unknown>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse<T>> {
        const url = new URL(path, this.credentials.server);
        const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    agent: this.agent,
                    headers: {
                        Accept: "application/json",
                        ...(payload === undefined ? {} : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
                    },
                    timeout: 60_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (chunk: Buffer) => chunks.push(chunk));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: unknown = text;
                        try {
                            parsed = text === "" ? undefined : JSON.parse(text);
                        } catch {
                            // Non-JSON bodies (e.g. /readyz) stay text.
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed as T, warnings: parseWarnings(res.headers["warning"]) });
                    });
                    res.on("error", reject);
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer within 60 s`)));
            req.on("error", reject);
            if (payload !== undefined) {
                req.write(payload);
            }
            req.end();
        });
    }

    /** Like request(), but a non-2xx answer throws a KubeApiError carrying the API's message. */
    async call<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse<T>> {
        const response = await this.request<T>(method, path, body, contentType);
        if (response.status < 200 || response.status >= 300) {
            throw new KubeApiError(method, path, response.status, response.body);
        }
        return response;
    }

    /** The REST path of an object (or of its collection when `name` is omitted). */
    async pathOf(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
        const info = (await this.discover(apiVersion)).get(kind);
        if (info === undefined) {
            throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
        }
        const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        if (info.namespaced && namespace === undefined && name !== undefined) {
            throw new Error(`${kind} ${name} is namespaced: give its namespace`);
        }
        // A namespaced collection without a namespace lists across all namespaces.
        const scope = info.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
        return `${base}${scope}/${info.plural}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
    }

    /** Server-side apply: creates or updates the object, owning the fields it sets. */
    async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeResponse<KubeObject>> {
        const path = await this.pathOf(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name);
        const query = `?fieldManager=${FIELD_MANAGER}&force=true${options.dryRun ? "&dryRun=All" : ""}`;
        return this.call<KubeObject>("PATCH", path + query, object, "application/apply-patch+yaml");
    }

    async get<T = KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<T | undefined> {
        const response = await this.request<T>("GET", await this.pathOf(apiVersion, kind, namespace, name));
        if (response.status === 404) {
            return undefined;
        }
        if (response.status !== 200) {
            throw new KubeApiError("GET", `${kind}/${name}`, response.status, response.body);
        }
        return response.body;
    }

    async list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<T[]> {
        const path = await this.pathOf(apiVersion, kind, namespace);
        const query = labelSelector === undefined ? "" : `?labelSelector=${encodeURIComponent(labelSelector)}`;
        const response = await this.call<{ items: T[] }>("GET", path + query);
        return response.body.items;
    }

    private discover(apiVersion: string): Promise<Map<string, ResourceInfo>> {
        let known = this.resources.get(apiVersion);
        if (known === undefined) {
            known = this.call<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(
                "GET",
                apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
            ).then(({ body }) => {
                const byKind = new Map<string, ResourceInfo>();
                for (const resource of body.resources) {
                    if (!resource.name.includes("/")) {
                        byKind.set(resource.kind, { plural: resource.name, namespaced: resource.namespaced });
                    }
                }
                return byKind;
            });
            // A failed discovery (API server still starting) must not be cached.
            known.catch(() => this.resources.delete(apiVersion));
            this.resources.set(apiVersion, known);
        }
        return known;
    }
}

/** `299 - "text"` (RFC 7234 warn-code, agent, quoted text), possibly several joined by commas. */
export function parseWarnings(header: string | string[] | undefined): string[] {
    if (header === undefined) {
        return [];
    }
    const values = Array.isArray(header) ? header : [header];
    const warnings: string[] = [];
    for (const value of values) {
        for (const match of value.matchAll(/\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g)) {
            warnings.push((match[1] ?? "").replace(/\\(.)/g, "$1"));
        }
    }
    return warnings;
}
