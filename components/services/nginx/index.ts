import { exporterSidecar } from "../exporter";
import { ports } from "../ports";
import { httpReadiness, startup, tcpLiveness } from "../probes";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { CONFIG_VOLUME, ServiceContext, ServiceDefinition } from "../context";
import { clusterServiceAddress, EDGE_HEALTH_PATH, EDGE_STUB_STATUS_PATH, renderEdgeNginxConf } from "./nginx-conf";

/** nginx-unprivileged's own user. */
export const NGINX_UID = 101;

/** The edge reverse proxy: the only way in, TLS-terminated at the NLB in prod. */
export function nginxService(ctx: ServiceContext): ServiceDefinition {
    const { edge } = ctx.config;
    const tls = edge.tlsCertificateArn !== undefined;
    const svc = ctx.config.services.nginx;
    return {
        configFiles: {
            "nginx.conf": renderEdgeNginxConf({
                upstreams: {
                    frontend: clusterServiceAddress("frontend", ctx.namespace, ports.frontend.http),
                    api: clusterServiceAddress("api", ctx.namespace, ports.api.http),
                    grafana: clusterServiceAddress("grafana", ctx.namespace, ports.grafana.http),
                },
                resolver: "kube-dns.kube-system.svc.cluster.local",
                resolverValidSeconds: 30,
                hsts: tls,
                redirectHttpToHttps: tls,
                clientMaxBodySize: edge.clientMaxBodySize,
                apiRateLimit: edge.apiRateLimit,
                proxyTimeoutSeconds: edge.proxyTimeoutSeconds,
            }),
        },
        spec: {
            name: "nginx",
            component: "edge",
            version: imageTag("edgeNginx"),
            kind: "Deployment",
            stateless: true,
            replicas: svc.replicas,
            runAsUser: NGINX_UID,
            containers: [
                {
                    name: "nginx",
                    image: thirdPartyImages.edgeNginx,
                    ports: [
                        { name: "http", containerPort: ports.nginx.http },
                        { name: "redirect", containerPort: ports.nginx.redirect },
                    ],
                    resources: svc.resources,
                    probes: {
                        readiness: httpReadiness(EDGE_HEALTH_PATH, ports.nginx.http),
                        liveness: tcpLiveness(ports.nginx.http),
                        startup: startup(httpReadiness(EDGE_HEALTH_PATH, ports.nginx.http), 30),
                    },
                    writablePaths: [{ path: "/tmp", sizeLimit: "128Mi" }],
                    mounts: [{ volume: CONFIG_VOLUME, mountPath: "/etc/nginx/nginx.conf", subPath: "nginx.conf" }],
                },
                exporterSidecar({
                    name: "nginx-exporter",
                    image: thirdPartyImages.nginxExporter,
                    port: ports.nginx.metrics,
                    args: [`--nginx.scrape-uri=http://127.0.0.1:${ports.nginx.stubStatus}${EDGE_STUB_STATUS_PATH}`],
                }),
            ],
            // In-cluster Service: metrics only. Public traffic arrives through the separate LoadBalancer Service.
            servicePorts: [{ name: "metrics", port: ports.nginx.metrics, targetPort: ports.nginx.metrics }],
        },
    };
}
