import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { renderEdgeNginxConf, type EdgeNginxArgs } from "../components/services/nginx/nginx-conf";
import { freePorts } from "../tools/testenv";

// The rendered edge nginx.conf, checked by Debian's nginx: `nginx -t`, then a real nginx on loopback ports
// in front of tiny backends, with a fake kube-dns so upstream names go through nginx's runtime resolver.

const NAMESPACE = "nsip";
const backendNames = ["frontend", "api", "grafana"] as const;
type BackendName = (typeof backendNames)[number];

interface SeenRequest {
    backend: BackendName;
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    bodyBytes: number;
}

interface Response {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

describe("edge nginx.conf", function () {
    this.timeout(30_000);

    const seen: SeenRequest[] = [];
    const backendPorts = {} as Record<BackendName, number>;
    const backends: http.Server[] = [];
    let dns: FakeDns;

    before(async () => {
        for (const name of backendNames) {
            const server = http.createServer((req, res) => {
                let bodyBytes = 0;
                req.on("data", (chunk: Buffer) => (bodyBytes += chunk.length));
                req.on("end", () => {
                    seen.push({ backend: name, method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyBytes });
                    // Backends' own copies of edge-owned headers must not reach the client twice.
                    res.setHeader("X-Powered-By", "Express");
                    res.setHeader("Content-Security-Policy", "default-src *");
                    res.setHeader("Content-Type", name === "frontend" ? "text/html" : "application/json");
                    res.end(name === "frontend" ? `<!doctype html><title>spa</title>${"<p>negative space</p>".repeat(200)}` : JSON.stringify({ backend: name, url: req.url }));
                });
            });
            await listen(server);
            backends.push(server);
            backendPorts[name] = (server.address() as net.AddressInfo).port;
        }
        dns = await FakeDns.start();
        for (const name of backendNames) dns.records.set(serviceHost(name), "127.0.0.1");
    });

    after(async () => {
        await Promise.all(backends.map((s) => new Promise((r) => s.close(r))));
        dns?.stop();
    });

    beforeEach(() => {
        seen.length = 0;
    });

    function serviceHost(name: BackendName): string {
        return `${name}.${NAMESPACE}.svc.cluster.local`;
    }

    function edgeArgs(variant: "dev" | "prod", overrides: Partial<EdgeNginxArgs> = {}): Omit<EdgeNginxArgs, "standalone"> {
        return {
            upstreams: {
                frontend: `${serviceHost("frontend")}:${backendPorts.frontend}`,
                api: `${serviceHost("api")}:${backendPorts.api}`,
                grafana: `${serviceHost("grafana")}:${backendPorts.grafana}`,
            },
            resolver: `127.0.0.1:${dns.port}`,
            resolverValidSeconds: 1,
            hsts: variant === "prod",
            redirectHttpToHttps: variant === "prod",
            clientMaxBodySize: "64k",
            apiRateLimit: { requestsPerSecond: 100, burst: 200 },
            proxyTimeoutSeconds: 10,
            ...overrides,
        };
    }

    for (const variant of ["dev", "prod"] as const) {
        describe(`${variant} variant`, () => {
            let edge: RunningEdge;
            before(async () => {
                edge = await startEdge(edgeArgs(variant));
            });
            after(async () => edge?.stop());

            it("passes nginx -t", () => {
                const { status, output } = nginxTest(edge.dir, edge.confPath);
                assert.equal(status, 0, output);
                assert.match(output, /test is successful/);
            });

            it("routes / to the frontend, /api/ to the api and /grafana/ to grafana with the prefix kept", async () => {
                const cases: [string, BackendName, string][] = [
                    ["/", "frontend", "/"],
                    ["/analyses/42", "frontend", "/analyses/42"],
                    ["/api/analyses?limit=5", "api", "/api/analyses?limit=5"],
                    ["/grafana/", "grafana", "/grafana/"],
                    ["/grafana/api/health", "grafana", "/grafana/api/health"],
                ];
                for (const [requestPath, backend, upstreamPath] of cases) {
                    seen.length = 0;
                    const res = await request(edge.httpPort, requestPath);
                    assert.equal(res.status, 200, requestPath);
                    assert.deepEqual(
                        seen.map((s) => [s.backend, s.url]),
                        [[backend, upstreamPath]],
                        requestPath,
                    );
                }
                const bare = await request(edge.httpPort, "/grafana");
                assert.equal(bare.status, 301);
                assert.equal(bare.headers.location, "/grafana/", "redirects stay relative to the client's scheme and host");
            });

            it("never serves a metrics or stub_status path, however it is spelled", async () => {
                for (const p of ["/metrics", "/metrics/", "/api/metrics", "/grafana/metrics", "/api/../metrics", "/api/%2e%2e/metrics", "/x/..%2fmetrics", "/METRICS", "/stub_status"]) {
                    const res = await request(edge.httpPort, p);
                    assert.equal(res.status, p === "/METRICS" ? 200 : 404, p);
                }
                // /METRICS is a client-side SPA route (paths are case-sensitive); nothing reached any backend's metrics.
                assert.ok(seen.every((s) => !/metrics/.test(s.url) || s.url === "/METRICS"), JSON.stringify(seen));
            });

            it("answers the probe path itself", async () => {
                const res = await request(edge.httpPort, "/healthz");
                assert.equal(res.status, 200);
                assert.equal(res.body.toString(), "ok\n");
                assert.equal(seen.length, 0);
            });

            it("sends the security headers once, HSTS only in prod, and Grafana's own CSP under /grafana/", async () => {
                const spa = await request(edge.httpPort, "/");
                const csp = spa.headers["content-security-policy"];
                assert.equal(typeof csp, "string", "exactly one CSP header (the backend's is hidden)");
                assert.match(csp as string, /frame-ancestors 'none'/);
                assert.doesNotMatch(csp as string, /unsafe-eval|unsafe-inline/);
                assert.equal(spa.headers["x-frame-options"], "DENY");
                assert.equal(spa.headers["x-content-type-options"], "nosniff");
                assert.equal(spa.headers["referrer-policy"], "strict-origin-when-cross-origin");
                assert.equal(spa.headers["x-powered-by"], undefined);
                assert.equal(spa.headers.server, "nginx", "server_tokens off hides the version");
                if (variant === "prod") assert.equal(spa.headers["strict-transport-security"], "max-age=31536000; includeSubDomains");
                else assert.equal(spa.headers["strict-transport-security"], undefined);

                const grafana = await request(edge.httpPort, "/grafana/");
                assert.match(grafana.headers["content-security-policy"] as string, /script-src 'self' 'unsafe-inline' 'unsafe-eval'/);
                assert.match(grafana.headers["content-security-policy"] as string, /frame-ancestors 'none'/);
                assert.equal(grafana.headers["x-frame-options"], "DENY");
                assert.equal(grafana.headers["strict-transport-security"] !== undefined, variant === "prod");

                const notFound = await request(edge.httpPort, "/metrics");
                assert.equal(notFound.headers["x-frame-options"], "DENY", "error responses carry the headers too");
            });

            it("tells backends the client's scheme and address", async () => {
                await request(edge.httpPort, "/api/analyses", { headers: { "X-Forwarded-For": "6.6.6.6", Host: "nsip.example.com" } });
                const [api] = seen;
                assert.equal(api.headers["x-forwarded-proto"], variant === "prod" ? "https" : "http");
                assert.equal(api.headers["x-forwarded-for"], "127.0.0.1", "a client-sent X-Forwarded-For is replaced");
                assert.equal(api.headers.host, "nsip.example.com");
            });

            it("propagates a caller's X-Request-ID and mints one otherwise", async () => {
                const given = await request(edge.httpPort, "/api/analyses", { headers: { "X-Request-ID": "req-abc.123" } });
                assert.equal(given.headers["x-request-id"], "req-abc.123");
                assert.equal(seen[0].headers["x-request-id"], "req-abc.123");

                for (const headers of [{}, { "X-Request-ID": "not ok; <script>" }] as Record<string, string>[]) {
                    seen.length = 0;
                    const minted = await request(edge.httpPort, "/api/analyses", { headers });
                    assert.match(minted.headers["x-request-id"] as string, /^[0-9a-f]{32}$/);
                    assert.equal(seen[0].headers["x-request-id"], minted.headers["x-request-id"]);
                }
            });

            it("gzips text responses for clients that accept it", async () => {
                const res = await request(edge.httpPort, "/", { headers: { "Accept-Encoding": "gzip" } });
                assert.equal(res.headers["content-encoding"], "gzip");
                assert.match(zlib.gunzipSync(res.body).toString(), /negative space/);
                const plain = await request(edge.httpPort, "/");
                assert.equal(plain.headers["content-encoding"], undefined);
            });

            it("rejects bodies over client_max_body_size with 413 and passes smaller ones", async () => {
                const small = await request(edge.httpPort, "/api/analyses", { method: "POST", body: Buffer.alloc(32 * 1024, 1) });
                assert.equal(small.status, 200);
                assert.equal(seen[0].bodyBytes, 32 * 1024);
                seen.length = 0;
                const big = await request(edge.httpPort, "/api/analyses", { method: "POST", body: Buffer.alloc(65 * 1024, 1) });
                assert.equal(big.status, 413);
                assert.equal(seen.length, 0);
            });

            it("writes one JSON access log line per request to stdout", async () => {
                await request(edge.httpPort, "/api/analyses?limit=1", { headers: { "X-Request-ID": "log-probe-1", "User-Agent": 'quote" and \\ backslash' } });
                const entry = await waitFor(() => edge.accessLog().find((e) => e.request_id === "log-probe-1"));
                assert.equal(entry.uri, "/api/analyses?limit=1");
                assert.equal(entry.status, 200);
                assert.equal(entry.method, "GET");
                assert.equal(entry.http_user_agent, 'quote" and \\ backslash');
                assert.equal(entry.upstream_addr, `127.0.0.1:${backendPorts.api}`);
                assert.equal(typeof entry.request_time, "number");
            });

            it("serves stub_status on its loopback port only", async () => {
                const res = await request(edge.stubStatusPort, "/stub_status");
                assert.equal(res.status, 200);
                assert.match(res.body.toString(), /^Active connections: \d+/);
                assert.equal((await request(edge.stubStatusPort, "/metrics")).status, 404);
            });

            if (variant === "prod") {
                it("redirects plain-HTTP arrivals to https on the redirect port, keeping path and query", async () => {
                    const res = await request(edge.redirectPort, "/analyses/7?x=1", { headers: { Host: "nsip.example.com" } });
                    assert.equal(res.status, 301);
                    assert.equal(res.headers.location, "https://nsip.example.com/analyses/7?x=1");
                    assert.equal((await request(edge.redirectPort, "/healthz")).status, 200);
                    assert.equal(seen.length, 0);
                });
            } else {
                it("has no redirect listener when TLS is not in front", async () => {
                    await assert.rejects(request(edge.redirectPort, "/"), /ECONNREFUSED/);
                });
            }
        });
    }

    it("limits /api/ per client: requests beyond rate + burst get 429, other paths are not limited", async () => {
        const edge = await startEdge(edgeArgs("dev", { apiRateLimit: { requestsPerSecond: 1, burst: 3 } }));
        try {
            const statuses: number[] = [];
            for (let i = 0; i < 10; i++) statuses.push((await request(edge.httpPort, "/api/analyses")).status);
            const accepted = statuses.filter((s) => s === 200).length;
            assert.ok(accepted >= 4 && accepted <= 5, `1 + burst 3 (+1 if a second ticked): ${statuses}`);
            assert.deepEqual(statuses.slice(accepted), Array(10 - accepted).fill(429), `${statuses}`);
            assert.equal(seen.length, accepted, "rejected requests never reach the api");
            for (let i = 0; i < 10; i++) assert.equal((await request(edge.httpPort, "/")).status, 200);
        } finally {
            await edge.stop();
        }
    });

    it("starts while a backend Service does not exist yet and routes to it once its name resolves", async () => {
        const lateName = `late-grafana.${NAMESPACE}.svc.cluster.local`;
        const edge = await startEdge(edgeArgs("dev", { upstreams: { ...edgeArgs("dev").upstreams, grafana: `${lateName}:${backendPorts.grafana}` } }));
        try {
            assert.equal((await request(edge.httpPort, "/")).status, 200, "the other routes work meanwhile");
            assert.equal((await request(edge.httpPort, "/grafana/")).status, 502);
            dns.records.set(lateName, "127.0.0.1");
            await waitFor(async () => (await request(edge.httpPort, "/grafana/")).status === 200, 8000);
        } finally {
            dns.records.delete(lateName);
            await edge.stop();
        }
    });

    it("refuses arguments that would inject nginx syntax", () => {
        const args = { ...edgeArgs("dev"), upstreams: { ...edgeArgs("dev").upstreams, api: "api:3000; } server { listen 1" } };
        assert.throws(() => renderEdgeNginxConf(args), /upstreams\.api must be host:port/);
        assert.throws(() => renderEdgeNginxConf({ ...edgeArgs("dev"), clientMaxBodySize: "10 m" }), /clientMaxBodySize/);
    });

    it("renders the pod variant with the contract's ports, /tmp paths and kube-dns", () => {
        const conf = renderEdgeNginxConf({ ...edgeArgs("prod"), resolver: "kube-dns.kube-system.svc.cluster.local" });
        assert.match(conf, /^\s*listen 8080;$/m);
        assert.match(conf, /^\s*listen 8090;$/m);
        assert.match(conf, /^\s*listen 127\.0\.0\.1:8081;$/m);
        assert.match(conf, /^pid \/tmp\/nginx\.pid;$/m);
        for (const [directive, dir] of [["client_body", "client"], ["proxy", "proxy"], ["fastcgi", "fastcgi"], ["uwsgi", "uwsgi"], ["scgi", "scgi"]]) {
            assert.match(conf, new RegExp(`^\\s*${directive}_temp_path /tmp/${dir}_temp;$`, "m"));
        }
        assert.match(conf, /resolver kube-dns\.kube-system\.svc\.cluster\.local valid=1s;/);
        assert.doesNotMatch(conf, /^\s*user\b/m, "the image runs nginx as uid 101; a user directive is for root masters only");
        assert.doesNotMatch(conf, /upstream\s+\S+\s*\{/, "no static upstream blocks");
        assert.doesNotMatch(renderEdgeNginxConf({ ...edgeArgs("dev"), resolver: "kube-dns.kube-system.svc.cluster.local" }), /listen 8090/);
    });
});

/** Debian's nginx runs as root here; its workers then need a user. The pod's conf has none (it runs as uid 101). */
function testOnlyGlobals(): string {
    return process.getuid?.() === 0 ? "daemon off; user nobody nogroup;" : "daemon off;";
}

function nginxTest(dir: string, confPath: string): { status: number | null; output: string } {
    const outPath = path.join(dir, "nginx-t.log");
    const fd = fs.openSync(outPath, "w");
    try {
        const { status } = spawnSync("nginx", ["-t", "-p", dir, "-c", confPath, "-e", "stderr", "-g", testOnlyGlobals()], { stdio: ["ignore", fd, fd] });
        return { status, output: fs.readFileSync(outPath, "utf8") };
    } finally {
        fs.closeSync(fd);
    }
}

interface RunningEdge {
    dir: string;
    confPath: string;
    httpPort: number;
    redirectPort: number;
    stubStatusPort: number;
    accessLog(): Record<string, unknown>[];
    stop(): Promise<void>;
}

async function startEdge(args: Omit<EdgeNginxArgs, "standalone">): Promise<RunningEdge> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-nginx-"));
    fs.chmodSync(dir, 0o755); // workers (nobody) create and use the *_temp dirs here
    const [httpPort, redirectPort, stubStatusPort] = await freePorts(3);
    const confPath = path.join(dir, "nginx.conf");
    fs.writeFileSync(confPath, renderEdgeNginxConf({ ...args, standalone: { listenAddress: "127.0.0.1", httpPort, redirectPort, stubStatusPort, runtimeDir: dir } }));

    // Files, not Node's stdio pipes: those are sockets, and nginx can't open /dev/stdout on a socket (ENXIO).
    // In a container stdout/stderr are pipes or files, which it can.
    const stdoutPath = path.join(dir, "stdout.log");
    const stderrPath = path.join(dir, "stderr.log");
    const [stdoutFd, stderrFd] = [fs.openSync(stdoutPath, "w"), fs.openSync(stderrPath, "w")];
    const child: ChildProcess = spawn("nginx", ["-p", dir, "-c", confPath, "-e", "stderr", "-g", testOnlyGlobals()], { stdio: ["ignore", stdoutFd, stderrFd] });
    fs.closeSync(stdoutFd);
    fs.closeSync(stderrFd);
    const stderr = () => fs.readFileSync(stderrPath, "utf8");
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        await exited;
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitFor(async () => {
            if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr()}`);
            return (await request(httpPort, "/healthz").catch(() => undefined))?.status === 200;
        }, 5000);
    } catch (err) {
        await stop();
        throw err;
    }
    return {
        dir,
        confPath,
        httpPort,
        redirectPort,
        stubStatusPort,
        accessLog: () =>
            fs
                .readFileSync(stdoutPath, "utf8")
                .split("\n")
                .filter((l) => l.trim() !== "")
                .map((l) => JSON.parse(l) as Record<string, unknown>),
        stop,
    };
}

function request(port: number, requestPath: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: requestPath, method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on("error", reject);
        req.end(opts.body);
    });
}

async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value) return value;
        if (Date.now() > deadline) throw new Error("timed out waiting");
        await new Promise((r) => setTimeout(r, 50));
    }
}

function listen(server: http.Server): Promise<void> {
    return new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
}

/** Enough of a DNS server for nginx's resolver: A records from a map, NXDOMAIN for unknown names, empty AAAA. */
class FakeDns {
    readonly records = new Map<string, string>();
    private constructor(
        private readonly socket: dgram.Socket,
        readonly port: number,
    ) {}

    static async start(): Promise<FakeDns> {
        const socket = dgram.createSocket("udp4");
        await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
        const dns = new FakeDns(socket, socket.address().port);
        socket.on("message", (msg, peer) => socket.send(dns.answer(msg), peer.port, peer.address));
        return dns;
    }

    stop(): void {
        this.socket.close();
    }

    private answer(query: Buffer): Buffer {
        let offset = 12;
        const labels: string[] = [];
        while (query[offset] !== 0) {
            labels.push(query.subarray(offset + 1, offset + 1 + query[offset]).toString());
            offset += query[offset] + 1;
        }
        const questionEnd = offset + 5; // zero label + QTYPE + QCLASS
        const qtype = query.readUInt16BE(offset + 1);
        const address = this.records.get(labels.join(".").toLowerCase());
        const answers = address !== undefined && qtype === 1 ? [address] : [];

        const header = Buffer.alloc(12);
        header.writeUInt16BE(query.readUInt16BE(0), 0); // id
        header.writeUInt16BE(0x8180 | (address === undefined ? 3 : 0), 2); // response, RD, RA, NXDOMAIN if unknown
        header.writeUInt16BE(1, 4);
        header.writeUInt16BE(answers.length, 6);
        const records = answers.map((ip) => {
            const rr = Buffer.alloc(16);
            rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
            rr.writeUInt16BE(1, 2); // A
            rr.writeUInt16BE(1, 4); // IN
            rr.writeUInt32BE(1, 6); // TTL
            rr.writeUInt16BE(4, 10);
            ip.split(".").forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
            return rr;
        });
        return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
    }
}
