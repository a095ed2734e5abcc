/**
 * The edge reverse proxy's complete nginx.conf (nginxinc/nginx-unprivileged, uid 101, read-only root
 * filesystem with an emptyDir on /tmp). Pure: no Pulumi, no I/O.
 *
 * Upstreams are resolved per request, not at start: each `proxy_pass` takes its address from a
 * variable, so nginx asks `resolver` (kube-dns) when a request needs it and caches the answer for
 * `resolverValidSeconds`. With static `upstream {}` blocks nginx resolves every name once at start and
 * refuses to start ("host not found in upstream") while any Service is missing, so one late or
 * deleted Service would crash-loop the whole edge; and a Service recreated with a new ClusterIP would
 * keep getting the stale address until a restart. Per-request resolution costs one cached DNS lookup
 * and upstream keepalive pools, and gives: the edge starts alone, a missing backend is a 502 for its
 * own path only, and address changes are picked up within `resolverValidSeconds`.
 * nginx's resolver ignores the search domains of /etc/resolv.conf, hence fully qualified names.
 */

/** Traffic port. In prod the NLB sends its TLS listener (443, terminated there) here; in dev, everything. */
export const EDGE_HTTP_PORT = 8080;
/**
 * Prod only: the NLB's plain port 80 goes here and is answered with a 301 to https. An NLB is layer 4 and
 * sets no X-Forwarded-Proto, so "arrived over TLS or not" is told apart by the port the NLB forwards to.
 */
export const EDGE_REDIRECT_PORT = 8090;
/** stub_status for the nginx-prometheus-exporter sidecar; bound to 127.0.0.1, never in a Service. */
export const EDGE_STUB_STATUS_PORT = 8081;
export const EDGE_STUB_STATUS_PATH = "/stub_status";
/** The exporter sidecar's port (its default); the Service port that exposes it is named `metrics`. */
export const EDGE_EXPORTER_PORT = 9113;
/** Answered by nginx itself on the traffic and redirect ports, for kubelet probes and NLB health checks. */
export const EDGE_HEALTH_PATH = "/healthz";

export interface EdgeNginxArgs {
    /** `host:port` of each backend, e.g. `frontend.nsip.svc.cluster.local:8080` (see clusterServiceAddress). */
    upstreams: { frontend: string; api: string; grafana: string };
    /** DNS server for the upstream names, e.g. `kube-dns.kube-system.svc.cluster.local` (resolved once at start). */
    resolver: string;
    /** How long a resolved upstream address is trusted. */
    resolverValidSeconds: number;
    /** Send Strict-Transport-Security (only when every client reaches the edge over https). */
    hsts: boolean;
    /** Listen on EDGE_REDIRECT_PORT with a 301 to https, and tell backends that EDGE_HTTP_PORT traffic is https. */
    redirectHttpToHttps: boolean;
    /** nginx size such as "10m": larger request bodies get 413. */
    clientMaxBodySize: string;
    /** Per client address, on /api/ only; requests beyond rate + burst get 429. */
    apiRateLimit: { requestsPerSecond: number; burst: number };
    /** Read and send timeout towards the backends. */
    proxyTimeoutSeconds: number;
    /** Connect timeout towards the backends (a ClusterIP answers fast or not at all). Default 5. */
    proxyConnectTimeoutSeconds?: number;
    /** "auto" would start one worker per node core, whatever the pod's CPU limit. Default 2. */
    workerProcesses?: number;
    /** Overrides for running the same conf outside a pod (tests): listen address and ports, writable dir. */
    standalone?: { listenAddress: string; httpPort: number; redirectPort: number; stubStatusPort: number; runtimeDir: string };
}

/** The in-cluster `host:port` of a Service, fully qualified because nginx's resolver ignores search domains. */
export function clusterServiceAddress(service: string, namespace: string, port: number): string {
    return `${service}.${namespace}.svc.cluster.local:${port}`;
}

/** Same-origin SPA: its scripts and styles are files; image previews are blob: URLs. */
const SPA_CSP = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
].join("; ");

/** Grafana's frontend needs inline and eval'd scripts, inline styles and blob: workers (its own CSP template allows the same). */
const GRAFANA_CSP = [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline' blob:",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
].join("; ");

const hostPort = /^[A-Za-z0-9.-]+:[0-9]{1,5}$/;
const resolverAddress = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;
const nginxSize = /^[0-9]+[km]?$/;

export function renderEdgeNginxConf(args: EdgeNginxArgs): string {
    validate(args);
    const listen = args.standalone ?? { listenAddress: "", httpPort: EDGE_HTTP_PORT, redirectPort: EDGE_REDIRECT_PORT, stubStatusPort: EDGE_STUB_STATUS_PORT, runtimeDir: "/tmp" };
    const bind = (port: number) => (listen.listenAddress ? `${listen.listenAddress}:${port}` : `${port}`);
    const stubStatusBind = `${args.standalone?.listenAddress ?? "127.0.0.1"}:${listen.stubStatusPort}`;
    const dir = listen.runtimeDir;
    const forwardedProto = args.redirectHttpToHttps ? "https" : "$scheme";

    const securityHeaders = (csp: string): string[] => [
        `add_header Content-Security-Policy "${csp}" always;`,
        `add_header X-Content-Type-Options "nosniff" always;`,
        `add_header X-Frame-Options "DENY" always;`,
        `add_header Referrer-Policy "strict-origin-when-cross-origin" always;`,
        `add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;`,
        ...(args.hsts ? [`add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;`] : []),
        `add_header X-Request-ID $edge_request_id always;`,
    ];
    // proxy_set_header is inherited only by locations that set none, so every proxied location gets the full list.
    const proxyTo = (variable: string, address: string, connection: string): string[] => [
        `set $${variable} "${address}";`,
        `proxy_pass http://$${variable};`,
        `proxy_set_header Host $host;`,
        // The edge is the first HTTP hop (the NLB is layer 4): overwrite, so clients can't forge the chain.
        `proxy_set_header X-Forwarded-For $remote_addr;`,
        `proxy_set_header X-Real-IP $remote_addr;`,
        `proxy_set_header X-Forwarded-Proto ${forwardedProto};`,
        `proxy_set_header X-Forwarded-Host $host;`,
        `proxy_set_header X-Request-ID $edge_request_id;`,
        `proxy_set_header Connection ${connection};`,
    ];

    const healthz = block(`location = ${EDGE_HEALTH_PATH} {`, ["access_log off;", "default_type text/plain;", `return 200 "ok\\n";`]);

    const trafficServer = block("server {", [
        `listen ${bind(listen.httpPort)};`,
        "server_name _;",
        "# Relative Location headers keep the client's scheme, host and port (the pod's 8080 means nothing outside).",
        "absolute_redirect off;",
        "",
        ...securityHeaders(SPA_CSP),
        "",
        healthz,
        "",
        "# Metrics are never served through the edge, whichever backend would answer (Grafana serves its own",
        "# /metrics). URIs are normalised before matching, so /api/../metrics and %2e%2e forms land here too.",
        block("location = /metrics {", ["return 404;"]),
        block("location ~ (^|/)(metrics|stub_status)(/|$) {", ["return 404;"]),
        "",
        block("location /api/ {", [
            `limit_req zone=api_per_client burst=${args.apiRateLimit.burst} nodelay;`,
            ...proxyTo("api_upstream", args.upstreams.api, `""`),
        ]),
        "",
        block("location = /grafana {", ["return 301 /grafana/;"]),
        "# Grafana runs with serve_from_sub_path, so the /grafana/ prefix is passed on unchanged.",
        block("location /grafana/ {", [
            ...proxyTo("grafana_upstream", args.upstreams.grafana, "$connection_upgrade"),
            "proxy_set_header Upgrade $http_upgrade;",
            ...securityHeaders(GRAFANA_CSP),
        ]),
        "",
        block("location / {", proxyTo("frontend_upstream", args.upstreams.frontend, `""`)),
    ]);

    const redirectServer = block("server {", [
        `listen ${bind(listen.redirectPort)};`,
        "server_name _;",
        healthz,
        block("location / {", ["return 301 https://$host$request_uri;"]),
    ]);

    const stubStatusServer = block("server {", [
        `listen ${stubStatusBind};`,
        "access_log off;",
        block(`location = ${EDGE_STUB_STATUS_PATH} {`, ["stub_status;"]),
        block("location / {", ["return 404;"]),
    ]);

    const accessLogFormat = block(
        "log_format edge_json escape=json '{'",
        [
            `'"time":"$time_iso8601",'`,
            `'"request_id":"$edge_request_id",'`,
            `'"remote_addr":"$remote_addr",'`,
            `'"method":"$request_method",'`,
            `'"uri":"$request_uri",'`,
            `'"protocol":"$server_protocol",'`,
            `'"host":"$host",'`,
            `'"status":$status,'`,
            `'"body_bytes_sent":$body_bytes_sent,'`,
            `'"request_time":$request_time,'`,
            `'"upstream_addr":"$upstream_addr",'`,
            `'"upstream_status":"$upstream_status",'`,
            `'"upstream_response_time":"$upstream_response_time",'`,
            `'"http_referer":"$http_referer",'`,
            `'"http_user_agent":"$http_user_agent"'`,
        ],
        "'}';",
    );

    const http = block("http {", [
        "server_tokens off;",
        "default_type application/octet-stream;",
        "keepalive_timeout 65;",
        "",
        `client_body_temp_path ${dir}/client_temp;`,
        `proxy_temp_path ${dir}/proxy_temp;`,
        `fastcgi_temp_path ${dir}/fastcgi_temp;`,
        `uwsgi_temp_path ${dir}/uwsgi_temp;`,
        `scgi_temp_path ${dir}/scgi_temp;`,
        "",
        `client_max_body_size ${args.clientMaxBodySize};`,
        "",
        "# Keep a sane caller-supplied X-Request-ID so one id follows the request end to end; else mint one.",
        block("map $http_x_request_id $edge_request_id {", ["default $request_id;", `"~^[A-Za-z0-9._-]{1,128}$" $http_x_request_id;`]),
        block("map $http_upgrade $connection_upgrade {", ["default upgrade;", `"" "";`]),
        "",
        accessLogFormat,
        "access_log /dev/stdout edge_json;",
        "",
        "gzip on;",
        "gzip_vary on;",
        "gzip_proxied any;",
        "gzip_comp_level 5;",
        "gzip_min_length 1024;",
        "gzip_types text/plain text/css text/javascript application/javascript application/json application/manifest+json application/xml image/svg+xml;",
        "",
        `limit_req_zone $binary_remote_addr zone=api_per_client:10m rate=${args.apiRateLimit.requestsPerSecond}r/s;`,
        "limit_req_status 429;",
        "limit_req_log_level warn;",
        "",
        `resolver ${args.resolver} valid=${args.resolverValidSeconds}s;`,
        "resolver_timeout 5s;",
        "",
        "proxy_http_version 1.1;",
        `proxy_connect_timeout ${args.proxyConnectTimeoutSeconds ?? 5}s;`,
        `proxy_send_timeout ${args.proxyTimeoutSeconds}s;`,
        `proxy_read_timeout ${args.proxyTimeoutSeconds}s;`,
        "proxy_redirect off;",
        "# The edge owns these headers; drop the backends' copies so each is sent once.",
        ...EDGE_OWNED_RESPONSE_HEADERS.map((h) => `proxy_hide_header ${h};`),
        "",
        trafficServer,
        ...(args.redirectHttpToHttps ? ["", redirectServer] : []),
        "",
        stubStatusServer,
    ]);

    return render([
        "# Rendered by components/services/nginx/nginx-conf.ts. Do not edit by hand.",
        `worker_processes ${args.workerProcesses ?? 2};`,
        `pid ${dir}/nginx.pid;`,
        // Written to fd 2 directly: unlike /dev/stderr it also works when stderr is a socket.
        "error_log stderr warn;",
        "",
        block("events {", ["worker_connections 1024;"]),
        "",
        http,
    ]);
}

const EDGE_OWNED_RESPONSE_HEADERS = [
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Strict-Transport-Security",
    "X-Powered-By",
];

/** A directive line, or a `{ ... }` block whose body is indented one level. */
type Line = string | { open: string; body: Line[]; close: string };

function block(open: string, body: Line[], close = "}"): Line {
    return { open, body, close };
}

function render(lines: Line[]): string {
    const indent = (block: Line[], depth: number): string[] => {
        const pad = "    ".repeat(depth);
        return block.flatMap((line) =>
            typeof line === "string" ? [line === "" ? "" : pad + line] : [pad + line.open, ...indent(line.body, depth + 1), pad + line.close],
        );
    };
    return indent(lines, 0).join("\n") + "\n";
}

function validate(args: EdgeNginxArgs): void {
    const problems: string[] = [];
    for (const [name, address] of Object.entries(args.upstreams)) {
        if (!hostPort.test(address)) problems.push(`upstreams.${name} must be host:port, got ${JSON.stringify(address)}`);
    }
    if (!resolverAddress.test(args.resolver)) problems.push(`resolver must be a host or IP[:port], got ${JSON.stringify(args.resolver)}`);
    if (!nginxSize.test(args.clientMaxBodySize)) problems.push(`clientMaxBodySize must be an nginx size such as "10m", got ${JSON.stringify(args.clientMaxBodySize)}`);
    const positiveInts: [string, number | undefined][] = [
        ["resolverValidSeconds", args.resolverValidSeconds],
        ["apiRateLimit.requestsPerSecond", args.apiRateLimit.requestsPerSecond],
        ["proxyTimeoutSeconds", args.proxyTimeoutSeconds],
        ["proxyConnectTimeoutSeconds", args.proxyConnectTimeoutSeconds],
        ["workerProcesses", args.workerProcesses],
    ];
    for (const [name, value] of positiveInts) {
        if (value !== undefined && !(Number.isInteger(value) && value > 0)) problems.push(`${name} must be a positive integer, got ${value}`);
    }
    if (!(Number.isInteger(args.apiRateLimit.burst) && args.apiRateLimit.burst >= 0)) problems.push(`apiRateLimit.burst must be an integer >= 0, got ${args.apiRateLimit.burst}`);
    if (problems.length > 0) throw new Error(`renderEdgeNginxConf: ${problems.join("; ")}`);
}
