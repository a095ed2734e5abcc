import { secretRefs } from "../../platform";
import { exporterSidecar } from "../exporter";
import { ports } from "../ports";
import { execProbe, startup, tcpLiveness } from "../probes";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { CONFIG_VOLUME, ServiceContext, ServiceDefinition } from "../context";
import { renderRedisConf } from "./redis-conf";

/** The redis user of the official alpine image. */
export const REDIS_UID = 999;
const AUTH_VOLUME = "auth";

export function redisService(ctx: ServiceContext): ServiceDefinition {
    const password = { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: secretRefs.redis.name, key: secretRefs.redis.passwordKey } } };
    return {
        configFiles: {
            "redis.conf": renderRedisConf({
                maxmemory: ctx.config.redis.maxmemory,
                maxmemoryPolicy: ctx.config.redis.maxmemoryPolicy,
                dataDir: "/data",
                authFile: `/etc/redis/auth/${secretRefs.redis.authFileKey}`,
            }),
        },
        spec: {
            name: "redis",
            component: "cache",
            version: imageTag("redis"),
            kind: "StatefulSet",
            stateless: false,
            replicas: 1,
            runAsUser: REDIS_UID,
            persistentVolume: { size: ctx.config.storage.redis, storageClassName: ctx.storageClassName },
            volumes: [{ name: AUTH_VOLUME, secret: { secretName: secretRefs.redis.name, items: [{ key: secretRefs.redis.authFileKey, path: secretRefs.redis.authFileKey }] } }],
            containers: [
                {
                    name: "redis",
                    image: thirdPartyImages.redis,
                    command: ["redis-server", "/etc/redis/redis.conf"],
                    ports: [{ name: "redis", containerPort: ports.redis.resp }],
                    env: [password],
                    resources: ctx.config.services.redis.resources,
                    probes: {
                        readiness: execProbe(["sh", "-c", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 ping | grep -q PONG'], "readiness"),
                        liveness: tcpLiveness(ports.redis.resp),
                        // AOF replay of a large file can take a while after a restart.
                        startup: startup(tcpLiveness(ports.redis.resp), 300),
                    },
                    writablePaths: [{ path: "/tmp", sizeLimit: "64Mi" }],
                    mounts: [
                        { volume: CONFIG_VOLUME, mountPath: "/etc/redis/redis.conf", subPath: "redis.conf" },
                        { volume: AUTH_VOLUME, mountPath: "/etc/redis/auth" },
                    ],
                    dataMountPath: "/data",
                },
                exporterSidecar({
                    name: "redis-exporter",
                    image: thirdPartyImages.redisExporter,
                    port: ports.redis.metrics,
                    env: [{ name: "REDIS_ADDR", value: `redis://127.0.0.1:${ports.redis.resp}` }, password],
                }),
            ],
            servicePorts: [
                { name: "redis", port: ports.redis.resp, targetPort: ports.redis.resp },
                { name: "metrics", port: ports.redis.metrics, targetPort: ports.redis.metrics },
            ],
        },
    };
}
