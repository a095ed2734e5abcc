import { ports } from "../ports";
import { httpLiveness, httpReadiness, startup } from "../probes";
import { ServiceContext, ServiceDefinition } from "../context";

export const ANALYZER_UID = 10001;
const MULTIPROC_DIR = "/tmp/prometheus";

export function analyzerService(ctx: ServiceContext): ServiceDefinition {
    const svc = ctx.config.services.analyzer;
    return {
        envConfig: {
            PORT: String(ports.analyzer.http),
            METRICS_PORT: String(ports.analyzer.metrics),
            GUNICORN_WORKERS: String(svc.workers),
            PROMETHEUS_MULTIPROC_DIR: MULTIPROC_DIR,
            MAX_IMAGE_BYTES: String(ctx.config.api.maxUploadBytes),
        },
        spec: {
            name: "analyzer",
            component: "worker",
            version: ctx.config.images.version,
            kind: "Deployment",
            stateless: true,
            replicas: svc.replicas,
            autoscaling: svc.autoscaling,
            runAsUser: ANALYZER_UID,
            containers: [
                {
                    name: "analyzer",
                    image: ctx.images.analyzer,
                    ports: [
                        { name: "http", containerPort: ports.analyzer.http },
                        { name: "metrics", containerPort: ports.analyzer.metrics },
                    ],
                    resources: svc.resources,
                    probes: {
                        readiness: httpReadiness("/ready", ports.analyzer.http),
                        liveness: httpLiveness("/health", ports.analyzer.http),
                        startup: startup(httpLiveness("/health", ports.analyzer.http), 60),
                    },
                    writablePaths: [
                        { path: "/tmp", sizeLimit: "256Mi" },
                        // gunicorn's worker heartbeat files and the prometheus multiprocess files: memory-backed, so a
                        // slow disk never makes the arbiter think a worker hung.
                        { path: "/dev/shm", medium: "Memory", sizeLimit: "64Mi" },
                        { path: MULTIPROC_DIR, medium: "Memory", sizeLimit: "64Mi" },
                    ],
                },
            ],
            servicePorts: [
                { name: "http", port: ports.analyzer.http, targetPort: ports.analyzer.http },
                { name: "metrics", port: ports.analyzer.metrics, targetPort: ports.analyzer.metrics },
            ],
        },
    };
}
