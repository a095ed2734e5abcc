import { secretRefs } from "../../platform";
import { exporterSidecar } from "../exporter";
import { ports } from "../ports";
import { execProbe, startup } from "../probes";
import { imageTag, thirdPartyImages } from "../third-party-images";
import { ServiceContext, ServiceDefinition } from "../context";

/** The postgres user of the official alpine image. */
export const POSTGRES_UID = 70;
const DATA_DIR = "/var/lib/postgresql/data";

const fromSecret = (key: string) => ({ secretKeyRef: { name: secretRefs.postgres.name, key } });

export function postgresService(ctx: ServiceContext): ServiceDefinition {
    const isReady = (withDatabase: boolean) => [
        "sh",
        "-c",
        withDatabase ? 'pg_isready -h 127.0.0.1 -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB"' : "pg_isready -h 127.0.0.1 -p 5432",
    ];
    return {
        spec: {
            name: "postgres",
            component: "database",
            version: imageTag("postgres"),
            kind: "StatefulSet",
            stateless: false,
            replicas: 1,
            runAsUser: POSTGRES_UID,
            persistentVolume: { size: ctx.config.storage.postgres, storageClassName: ctx.storageClassName },
            containers: [
                {
                    name: "postgres",
                    image: thirdPartyImages.postgres,
                    ports: [{ name: "postgres", containerPort: ports.postgres.sql }],
                    env: [
                        { name: "POSTGRES_USER", valueFrom: fromSecret(secretRefs.postgres.userKey) },
                        { name: "POSTGRES_PASSWORD", valueFrom: fromSecret(secretRefs.postgres.passwordKey) },
                        { name: "POSTGRES_DB", valueFrom: fromSecret(secretRefs.postgres.databaseKey) },
                        // A subfolder: the volume's root may hold lost+found, which initdb refuses.
                        { name: "PGDATA", value: `${DATA_DIR}/pgdata` },
                    ],
                    resources: ctx.config.services.postgres.resources,
                    probes: {
                        readiness: execProbe(isReady(true), "readiness"),
                        liveness: execProbe(isReady(false), "liveness"),
                        startup: startup(execProbe(isReady(false), "liveness"), 300),
                    },
                    writablePaths: [
                        { path: "/var/run/postgresql", sizeLimit: "16Mi" },
                        { path: "/tmp", sizeLimit: "256Mi" },
                        // Parallel queries use POSIX shared memory; the runtime's default 64 MB /dev/shm is too small.
                        { path: "/dev/shm", medium: "Memory", sizeLimit: "256Mi" },
                    ],
                    dataMountPath: DATA_DIR,
                },
                exporterSidecar({
                    name: "postgres-exporter",
                    image: thirdPartyImages.postgresExporter,
                    port: ports.postgres.metrics,
                    env: [
                        { name: "DATA_SOURCE_URI", value: `127.0.0.1:${ports.postgres.sql}/postgres?sslmode=disable` },
                        { name: "DATA_SOURCE_USER", valueFrom: fromSecret(secretRefs.postgres.userKey) },
                        { name: "DATA_SOURCE_PASS", valueFrom: fromSecret(secretRefs.postgres.passwordKey) },
                    ],
                }),
            ],
            servicePorts: [
                { name: "postgres", port: ports.postgres.sql, targetPort: ports.postgres.sql },
                { name: "metrics", port: ports.postgres.metrics, targetPort: ports.postgres.metrics },
            ],
        },
    };
}
