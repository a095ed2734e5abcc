import { secretRefs } from "../../platform";
import { ports } from "../ports";
import { httpLiveness, httpReadiness, startup } from "../probes";
import { ServiceContext, ServiceDefinition, serviceHost } from "../context";

export const API_UID = 10001;

/** Environment of the api image shared by the server and the migration Job (see apps/api/README.md). */
export function apiDatabaseEnv(namespace: string) {
    return [
        { name: "PGHOST", value: serviceHost("postgres", namespace) },
        { name: "PGPORT", value: String(ports.postgres.sql) },
        { name: "PGUSER", valueFrom: { secretKeyRef: { name: secretRefs.postgres.name, key: secretRefs.postgres.userKey } } },
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: secretRefs.postgres.name, key: secretRefs.postgres.passwordKey } } },
        { name: "PGDATABASE", valueFrom: { secretKeyRef: { name: secretRefs.postgres.name, key: secretRefs.postgres.databaseKey } } },
    ];
}

export function apiService(ctx: ServiceContext): ServiceDefinition {
    const svc = ctx.config.services.api;
    const api = ctx.config.api;
    return {
        envConfig: {
            PORT: String(ports.api.http),
            METRICS_PORT: String(ports.api.metrics),
            LOG_LEVEL: api.logLevel,
            REDIS_HOST: serviceHost("redis", ctx.namespace),
            REDIS_PORT: String(ports.redis.resp),
            CACHE_TTL_SECONDS: String(api.cacheTtlSeconds),
            ANALYZER_URL: `http://${serviceHost("analyzer", ctx.namespace)}:${ports.analyzer.http}`,
            MAX_UPLOAD_BYTES: String(api.maxUploadBytes),
            MAX_CONCURRENT_UPLOADS: String(api.maxConcurrentUploads),
            CORS_ORIGINS: api.corsOrigins.join(","),
            RATE_LIMIT_PER_MINUTE: String(api.rateLimitPerMinute),
            // Below the pod's 30 s grace period minus the preStop sleep.
            SHUTDOWN_TIMEOUT_MS: "20000",
        },
        spec: {
            name: "api",
            component: "backend",
            version: ctx.config.images.version,
            kind: "Deployment",
            stateless: true,
            replicas: svc.replicas,
            autoscaling: svc.autoscaling,
            runAsUser: API_UID,
            containers: [
                {
                    name: "api",
                    image: ctx.images.api,
                    command: ["node", "dist/server.js"],
                    ports: [
                        { name: "http", containerPort: ports.api.http },
                        { name: "metrics", containerPort: ports.api.metrics },
                    ],
                    env: [
                        ...apiDatabaseEnv(ctx.namespace),
                        { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: secretRefs.redis.name, key: secretRefs.redis.passwordKey } } },
                        { name: "JWT_SECRET", valueFrom: { secretKeyRef: { name: secretRefs.api.name, key: secretRefs.api.secretKey } } },
                    ],
                    resources: svc.resources,
                    probes: {
                        readiness: httpReadiness("/ready", ports.api.http),
                        liveness: httpLiveness("/health", ports.api.http),
                        startup: startup(httpLiveness("/health", ports.api.http), 60),
                    },
                    writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                },
            ],
            servicePorts: [
                { name: "http", port: ports.api.http, targetPort: ports.api.http },
                { name: "metrics", port: ports.api.metrics, targetPort: ports.api.metrics },
            ],
        },
    };
}
