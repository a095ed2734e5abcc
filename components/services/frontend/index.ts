import { ports } from "../ports";
import { httpReadiness, startup, tcpLiveness } from "../probes";
import { ServiceContext, ServiceDefinition } from "../context";

/** nginx-unprivileged's own user. */
export const FRONTEND_UID = 101;

export function frontendService(ctx: ServiceContext): ServiceDefinition {
    const svc = ctx.config.services.frontend;
    return {
        spec: {
            name: "frontend",
            component: "frontend",
            version: ctx.config.images.version,
            kind: "Deployment",
            stateless: true,
            replicas: svc.replicas,
            runAsUser: FRONTEND_UID,
            containers: [
                {
                    name: "frontend",
                    image: ctx.images.frontend,
                    ports: [{ name: "http", containerPort: ports.frontend.http }],
                    resources: svc.resources,
                    probes: {
                        readiness: httpReadiness("/healthz", ports.frontend.http),
                        liveness: tcpLiveness(ports.frontend.http),
                        startup: startup(httpReadiness("/healthz", ports.frontend.http), 30),
                    },
                    // pid file and every nginx temp path live here (apps/frontend/README.md).
                    writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                },
            ],
            servicePorts: [{ name: "http", port: ports.frontend.http, targetPort: ports.frontend.http }],
        },
    };
}
