import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import { ports } from "../components/services/ports";
import { CLUSTER_AUTOSCALER_PORT } from "../components/services/cluster-autoscaler";
import { trafficFor, trafficTable } from "../components/services/traffic";
import { platformLabels, recommendedLabels, selectorLabels } from "../components/workload/labels";
import { allowDnsSpec, defaultDenySpec, POD_IDENTITY_AGENT_CIDR, workloadPolicySpec } from "../components/workload/network-policy";
import { Workload, WorkloadSpec } from "../components/workload";
import { cronJob, CronJobArgs } from "../components/workload/cron-job";
import { batchPodSpec, PodContainer, PodInput, podSpec, PRE_STOP_SLEEP_SECONDS, TERMINATION_GRACE_SECONDS } from "../components/workload/pod";
import type { Hardening } from "../stacks/schema";
import { RecordedResource, ResourceRecorder, stopMocks } from "./support/pulumi-mocks";

/**
 * The workload builder's pure parts, called directly: the pod builder, the NetworkPolicy builder, the labels
 * and the traffic table. The renders (services.test.ts, network-policies.test.ts) show them in the whole
 * program; here each rule is pinned on its own, including the cases no service happens to exercise.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const relaxed: Hardening = { podSecurityLevel: "baseline", podDisruptionBudgets: false, topologySpread: false, zeroDowntimeRollouts: false, protectData: false };
const hardened: Hardening = { podSecurityLevel: "restricted", podDisruptionBudgets: true, topologySpread: true, zeroDowntimeRollouts: true, protectData: true };
const selector = { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "nsip-test" };

const resources = { requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "64Mi" }, limits: { cpu: "1", memory: "256Mi", ephemeralStorage: "256Mi" } };
const probe = (path: string) => ({ httpGet: { path, port: 3000 } });

function containerSpec(overrides: Partial<PodContainer> = {}): PodContainer {
    return {
        name: "api",
        image: "registry.example.com/api@sha256:abc",
        ports: [{ name: "http", containerPort: 3000 }],
        resources,
        probes: { readiness: probe("/ready"), liveness: probe("/live") },
        writablePaths: [],
        ...overrides,
    };
}

function pod(overrides: Partial<PodInput> = {}): PodInput {
    return { name: "api", runAsUser: 1000, stateless: true, containers: [containerSpec()], ...overrides };
}

const build = (input: PodInput, hardening: Hardening = relaxed): Json => podSpec(input, hardening, selector, "api-sa") as Json;

describe("workload builder, in process", () => {
    describe("pod builder: the pod", () => {
        it("no service links, no API token unless asked, the grace period, non-root with fsGroup = uid", () => {
            const spec = build(pod());
            assert.equal(spec.serviceAccountName, "api-sa");
            assert.strictEqual(spec.enableServiceLinks, false);
            assert.strictEqual(spec.automountServiceAccountToken, false);
            assert.equal(spec.terminationGracePeriodSeconds, TERMINATION_GRACE_SECONDS);
            assert.equal(TERMINATION_GRACE_SECONDS, 30);
            assert.deepEqual(spec.securityContext, {
                runAsNonRoot: true,
                runAsUser: 1000,
                runAsGroup: 1000,
                fsGroup: 1000,
                fsGroupChangePolicy: "OnRootMismatch",
                seccompProfile: { type: "RuntimeDefault" },
            });
            assert.equal("initContainers" in spec, false, "no initContainers key without init containers");
            assert.equal("restartPolicy" in spec, false, "a long-running pod keeps the default restart policy");
        });

        it("an explicit fsGroup wins over the uid; a token only when the workload asks", () => {
            const spec = build(pod({ fsGroup: 2000, serviceAccountToken: true }));
            assert.equal(spec.securityContext.fsGroup, 2000);
            assert.equal(spec.securityContext.runAsGroup, 1000);
            assert.strictEqual(spec.automountServiceAccountToken, true);
        });

        it("refuses uid 0, naming the workload", () => {
            assert.throws(() => build(pod({ runAsUser: 0 })), { message: "workload api: runAsUser must not be 0" });
        });

        it("spreads stateless pods over zones and hosts when the profile says so, and only then", () => {
            const spec = build(pod(), hardened);
            assert.deepEqual(spec.topologySpreadConstraints, [
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
            ]);
            assert.deepEqual(spec.affinity, {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } } },
                    ],
                },
            });
            for (const unspread of [build(pod()), build(pod({ stateless: false }), hardened)]) {
                assert.equal("topologySpreadConstraints" in unspread, false);
                assert.equal("affinity" in unspread, false);
            }
        });
    });

    describe("pod builder: containers", () => {
        it("a container: pinned pull policy, TCP ports, all three resources, probes, the restricted security context", () => {
            const startup = probe("/started");
            const [c] = build(pod({ containers: [containerSpec({ command: ["node"], args: ["main.js"], env: [{ name: "A", value: "1" }], envFrom: [{ configMapRef: { name: "cm" } }], probes: { readiness: probe("/ready"), liveness: probe("/live"), startup } })] })).containers;
            assert.deepEqual(c, {
                name: "api",
                image: "registry.example.com/api@sha256:abc",
                imagePullPolicy: "IfNotPresent",
                command: ["node"],
                args: ["main.js"],
                ports: [{ name: "http", containerPort: 3000, protocol: "TCP" }],
                env: [{ name: "A", value: "1" }],
                envFrom: [{ configMapRef: { name: "cm" } }],
                resources: {
                    requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
                    limits: { cpu: "1", memory: "256Mi", "ephemeral-storage": "256Mi" },
                },
                readinessProbe: probe("/ready"),
                livenessProbe: probe("/live"),
                startupProbe: startup,
                securityContext: {
                    runAsNonRoot: true,
                    runAsUser: 1000,
                    runAsGroup: 1000,
                    allowPrivilegeEscalation: false,
                    privileged: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                },
                volumeMounts: [],
                lifecycle: undefined,
            });
        });

        it("a container that reports through its termination message falls back to its log only when asked", () => {
            const [reporting] = batchPodSpec(pod({ containers: [containerSpec({ terminationMessagePolicy: "FallbackToLogsOnError" })] }), relaxed, "job-sa").containers as Json[];
            assert.equal(reporting.terminationMessagePolicy, "FallbackToLogsOnError");
            const [plain] = build(pod()).containers as Json[];
            assert.equal("terminationMessagePolicy" in plain, false, "the API server's default (File) otherwise");
        });

        it("writable paths become emptyDirs named after container and path; mounts are read-only; the data volume last", () => {
            const spec = build(
                pod({
                    containers: [
                        containerSpec({
                            name: "nginx",
                            writablePaths: [
                                { path: "/var/cache/Nginx", sizeLimit: "64Mi" },
                                { path: "/tmp", medium: "Memory", sizeLimit: "16Mi" },
                                { path: "/", sizeLimit: "1Mi" },
                            ],
                            mounts: [{ volume: "conf", mountPath: "/etc/nginx/nginx.conf", subPath: "nginx.conf" }],
                            dataMountPath: "/data",
                        }),
                    ],
                    volumes: [{ name: "conf", configMap: { name: "nginx-config" } }],
                }),
            );
            assert.deepEqual(spec.volumes, [
                { name: "nginx-var-cache-nginx", emptyDir: { medium: undefined, sizeLimit: "64Mi" } },
                { name: "nginx-tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
                { name: "nginx-root", emptyDir: { medium: undefined, sizeLimit: "1Mi" } },
                { name: "conf", configMap: { name: "nginx-config" } },
            ]);
            assert.deepEqual(spec.containers[0].volumeMounts, [
                { name: "nginx-var-cache-nginx", mountPath: "/var/cache/Nginx" },
                { name: "nginx-tmp", mountPath: "/tmp" },
                { name: "nginx-root", mountPath: "/" },
                { name: "conf", mountPath: "/etc/nginx/nginx.conf", subPath: "nginx.conf", readOnly: true },
                { name: "data", mountPath: "/data" },
            ]);
        });

        it("volume names fit the 63-character DNS label and never end in a dash", () => {
            const path = `/${"a".repeat(53)}/b`;
            const [volume] = build(pod({ containers: [containerSpec({ name: "analyzer", writablePaths: [{ path, sizeLimit: "1Mi" }] })] })).volumes;
            assert.equal(volume.name, `analyzer-${"a".repeat(53)}`);
            assert.ok(volume.name.length <= 63);
            const [slashes] = build(pod({ containers: [containerSpec({ name: "x", writablePaths: [{ path: "//srv//cache//", sizeLimit: "1Mi" }] })] })).volumes;
            assert.equal(slashes.name, "x-srv-cache");
            // The cut falls on the dash between name and slug plus the dash of "/.cache": both go.
            const [dashes] = build(pod({ containers: [containerSpec({ name: "b".repeat(61), writablePaths: [{ path: "/.cache", sizeLimit: "1Mi" }] })] })).volumes;
            assert.equal(dashes.name, "b".repeat(61));
        });

        it("a pod without writable paths or volumes of its own gets no volumes", () => {
            assert.deepEqual(build(pod()).volumes, []);
        });

        it("zero-downtime rollouts give every container a preStop sleep shorter than the grace period; relaxed, none", () => {
            const [c] = build(pod(), hardened).containers;
            assert.deepEqual(c.lifecycle, { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } });
            assert.equal(PRE_STOP_SLEEP_SECONDS, 5);
            assert.ok(PRE_STOP_SLEEP_SECONDS < TERMINATION_GRACE_SECONDS);
            assert.equal(build(pod()).containers[0].lifecycle, undefined);
        });

        it("init containers are hardened like the containers but never get a lifecycle hook (the API server rejects one)", () => {
            const init = containerSpec({ name: "wait", probes: undefined, writablePaths: [{ path: "/tmp", sizeLimit: "1Mi" }] });
            const spec = build(pod({ initContainers: [init] }), hardened);
            assert.equal(spec.initContainers.length, 1);
            const [c] = spec.initContainers;
            assert.equal(c.name, "wait");
            assert.equal(c.lifecycle, undefined);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true);
            assert.deepEqual(c.volumeMounts, [{ name: "wait-tmp", mountPath: "/tmp" }]);
            assert.deepEqual(spec.volumes[0], { name: "wait-tmp", emptyDir: { medium: undefined, sizeLimit: "1Mi" } }, "init containers' scratch volumes come first");
            assert.deepEqual(spec.containers[0].lifecycle, { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } });
        });

        it("a run-to-completion pod: restartPolicy Never, no preStop and no spreading, whatever the profile", () => {
            const spec = batchPodSpec(pod({ name: "migrations" }), hardened, "migrations-sa") as Json;
            assert.equal(spec.restartPolicy, "Never");
            assert.equal(spec.containers[0].lifecycle, undefined);
            assert.equal("topologySpreadConstraints" in spec, false);
            assert.strictEqual(spec.enableServiceLinks, false);
            assert.equal(spec.serviceAccountName, "migrations-sa");
        });
    });

    describe("NetworkPolicy builder", () => {
        const peers = { pod: (peer: string) => ({ "app.kubernetes.io/name": peer }), kubeApiCidrs: ["10.40.0.0/16", "10.41.0.0/16"] };

        it("ingress from the flows ending here, egress for the flows starting here, each peer as a NetworkPolicy can name it", () => {
            const spec = workloadPolicySpec(
                "backup",
                [
                    { from: "outside", to: "backup", ports: [8080] },
                    { from: "prometheus", to: "backup", ports: [9100, 9101] },
                    { from: "backup", to: "postgres", ports: [5432] },
                    { from: "backup", to: "s3", ports: [443] },
                    { from: "backup", to: "aws-api", ports: [443] },
                    { from: "backup", to: "pod-identity-agent", ports: [80] },
                    { from: "backup", to: "kube-api", ports: [443] },
                    { from: "api", to: "redis", ports: [6379] },
                ],
                peers,
            );
            assert.deepEqual(spec, {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "backup" } },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    { from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 8080 }] },
                    { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }], ports: [{ protocol: "TCP", port: 9100 }, { protocol: "TCP", port: 9101 }] },
                ],
                egress: [
                    { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "postgres" } } }], ports: [{ protocol: "TCP", port: 5432 }] },
                    { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
                    { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
                    { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT_CIDR } }], ports: [{ protocol: "TCP", port: 80 }] },
                    { to: [{ ipBlock: { cidr: "10.40.0.0/16" } }, { ipBlock: { cidr: "10.41.0.0/16" } }], ports: [{ protocol: "TCP", port: 443 }] },
                ],
            });
            assert.equal(POD_IDENTITY_AGENT_CIDR, "169.254.170.23/32");
        });

        it("a direction without flows is left out, not sent as an empty list", () => {
            const spec = workloadPolicySpec("redis", [{ from: "api", to: "redis", ports: [6379] }], peers);
            assert.equal("egress" in spec, false);
            assert.equal((spec.ingress as unknown[]).length, 1);
            assert.deepEqual(workloadPolicySpec("grafana", [], peers), { podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } }, policyTypes: ["Ingress", "Egress"] });
        });

        it("the namespace default deny and the DNS allowance", () => {
            assert.deepEqual(defaultDenySpec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            assert.deepEqual(allowDnsSpec, {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
                    },
                ],
            });
        });
    });

    describe("labels", () => {
        it("the recommended labels, the immutable selector subset and the platform's own", () => {
            const id = { name: "api", component: "backend", instance: "nsip-dev", version: "0.1.0" };
            assert.deepEqual(recommendedLabels(id), {
                "app.kubernetes.io/name": "api",
                "app.kubernetes.io/instance": "nsip-dev",
                "app.kubernetes.io/component": "backend",
                "app.kubernetes.io/part-of": "nsip",
                "app.kubernetes.io/version": "0.1.0",
                "app.kubernetes.io/managed-by": "pulumi",
            });
            assert.deepEqual(selectorLabels(id), { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "nsip-dev" });
            assert.deepEqual(platformLabels("nsip-prod", "0.2.0"), recommendedLabels({ name: "nsip", component: "platform", instance: "nsip-prod", version: "0.2.0" }));
        });
    });

    describe("traffic table", () => {
        const rows = (flows: readonly { from: string; to: string; ports: number[] }[]) => flows.map((f) => `${f.from} -> ${f.to}: ${f.ports.join(",")}`);
        /** DESIGN.md's traffic table. */
        const expected = [
            `outside -> nginx: ${ports.nginx.http},${ports.nginx.redirect}`,
            `prometheus -> nginx: ${ports.nginx.metrics}`,
            `nginx -> frontend: ${ports.frontend.http}`,
            `nginx -> api: ${ports.api.http}`,
            `prometheus -> api: ${ports.api.metrics}`,
            `api -> analyzer: ${ports.analyzer.http}`,
            `prometheus -> analyzer: ${ports.analyzer.metrics}`,
            `api -> postgres: ${ports.postgres.sql}`,
            `migrations -> postgres: ${ports.postgres.sql}`,
            `prometheus -> postgres: ${ports.postgres.metrics}`,
            `api -> redis: ${ports.redis.resp}`,
            `prometheus -> redis: ${ports.redis.metrics}`,
            `grafana -> prometheus: ${ports.prometheus.http}`,
            `nginx -> grafana: ${ports.grafana.http}`,
            "prometheus -> kube-api: 443,6443",
            `backup -> postgres: ${ports.postgres.sql}`,
            "backup -> s3: 443",
            "backup -> pod-identity-agent: 80",
            `restore -> postgres: ${ports.postgres.sql}`,
            "restore -> s3: 443",
            "restore -> pod-identity-agent: 80",
            `prometheus -> kube-state-metrics: ${ports.kubeStateMetrics.metrics}`,
            "kube-state-metrics -> kube-api: 443,6443",
            "cluster-autoscaler -> kube-api: 443,6443",
            "cluster-autoscaler -> aws-api: 443",
            "cluster-autoscaler -> pod-identity-agent: 80",
            `prometheus -> cluster-autoscaler: ${CLUSTER_AUTOSCALER_PORT}`,
            `health-probe -> api: ${ports.api.http}`,
            `health-probe -> analyzer: ${ports.analyzer.http}`,
            `health-probe -> frontend: ${ports.frontend.http}`,
            `health-probe -> grafana: ${ports.grafana.http}`,
            `health-probe -> prometheus: ${ports.prometheus.http}`,
            `health-probe -> nginx: ${ports.nginx.http}`,
        ];

        it("allows exactly the documented flows", () => {
            assert.deepEqual(rows(trafficTable), expected);
        });

        const optionalPeers = ["backup", "restore", "cluster-autoscaler", "kube-state-metrics", "s3", "pod-identity-agent"] as const;
        for (const optional of optionalPeers) {
            it(`drops the flows of ${optional} on stacks without it, and only those`, () => {
                const all = Object.fromEntries(optionalPeers.map((peer) => [peer, true])) as Record<(typeof optionalPeers)[number], boolean>;
                assert.deepEqual(rows(trafficFor(all)), expected);
                assert.deepEqual(
                    rows(trafficFor({ ...all, [optional]: false })),
                    expected.filter((row) => !row.startsWith(`${optional} `) && !row.includes(`-> ${optional}:`)),
                );
            });
        }

        it("gives the S3 flow an S3-compatible endpoint's own port", () => {
            const all = Object.fromEntries(optionalPeers.map((peer) => [peer, true])) as Record<(typeof optionalPeers)[number], boolean>;
            assert.deepEqual(
                rows(trafficFor(all, 9000)),
                expected.map((row) => (row.endsWith(" -> s3: 443") ? row.replace(": 443", ": 9000") : row)),
            );
        });
    });

    describe("Workload component, under mocks", () => {
        after(stopMocks);

        const peers = { pod: (peer: string) => ({ "app.kubernetes.io/name": peer }), kubeApiCidrs: ["0.0.0.0/0"] };
        const apiSpec = (overrides: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
            name: "api",
            component: "backend",
            version: "0.1.0",
            kind: "Deployment",
            stateless: true,
            replicas: 3,
            runAsUser: 1000,
            containers: [containerSpec() as WorkloadSpec["containers"][number]],
            servicePorts: [{ name: "http", port: 80, targetPort: 3000 }],
            podAnnotations: { "checksum/config": "abc" },
            ...overrides,
        });

        async function build(spec: WorkloadSpec, hardening: Hardening, extra: (provider: k8s.Provider) => Partial<{ dependsOn: k8s.core.v1.ConfigMap[] }> = () => ({})) {
            const recorder = await ResourceRecorder.start();
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            const { dependsOn } = extra(provider);
            new Workload(spec.name, { spec: { ...spec, dependsOn }, namespace: "nsip", instance: "nsip-test", hardening, traffic: [{ from: "nginx", to: "api", ports: [3000] }], peers }, { provider });
            await recorder.settle();
            return recorder;
        }
        const labels = { ...recommendedLabels({ name: "api", component: "backend", instance: "nsip-test", version: "0.1.0" }) };
        const selectorOf = { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "nsip-test" };
        const metadata = (name: string) => ({ name, namespace: "nsip", labels });

        it("hardened Deployment under an autoscaler: no replica count, surge-only rollouts, a PDB and an HPA", async () => {
            let waitFor: k8s.core.v1.ConfigMap | undefined;
            const recorder = await build(apiSpec({ autoscaling: { minReplicas: 3, maxReplicas: 10, targetCpuUtilization: 70 } }), hardened, (provider) => {
                waitFor = new k8s.core.v1.ConfigMap("migrations-done", { metadata: { name: "done" } }, { provider });
                return { dependsOn: [waitFor] };
            });
            const component = recorder.one("nsip:workload:Workload", "api");
            const children = recorder.resources.filter((r) => r.parent === component.urn);
            assert.deepEqual(children.map((r) => r.type).sort(), [
                "kubernetes:apps/v1:Deployment",
                "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
                "kubernetes:core/v1:Service",
                "kubernetes:core/v1:ServiceAccount",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "kubernetes:policy/v1:PodDisruptionBudget",
            ]);
            assert.deepEqual(children.map((r) => r.name).sort(), ["api-deployment", "api-hpa", "api-netpol", "api-pdb", "api-sa", "api-service"]);
            for (const child of children) {
                assert.deepEqual(child.inputs.metadata, metadata("api"), child.type);
                assert.ok(child.provider?.endsWith("::k8s"), `${child.type} uses the explicit provider`);
            }

            assert.strictEqual(recorder.one("kubernetes:core/v1:ServiceAccount").inputs.automountServiceAccountToken, false);

            const deployment: RecordedResource = recorder.one("kubernetes:apps/v1:Deployment");
            assert.equal(deployment.name, "api-deployment");
            const { template, ...rest } = deployment.inputs.spec;
            assert.deepEqual(rest, {
                revisionHistoryLimit: 5,
                selector: { matchLabels: selectorOf },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            });
            assert.deepEqual(template.metadata, { labels, annotations: { "checksum/config": "abc" } });
            assert.equal(template.spec.serviceAccountName, "api");
            assert.ok(template.spec.topologySpreadConstraints, "the profile reaches the pod builder");
            assert.ok(deployment.dependencies.some((urn) => urn.endsWith("::migrations-done")), "waits for what the spec names");

            assert.deepEqual(recorder.one("kubernetes:core/v1:Service").inputs.spec, {
                type: "ClusterIP",
                selector: selectorOf,
                ports: [{ name: "http", port: 80, targetPort: 3000, protocol: "TCP" }],
            });
            assert.deepEqual(recorder.one("kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs.spec, workloadPolicySpec("api", [{ from: "nginx", to: "api", ports: [3000] }], peers));
            assert.deepEqual(recorder.one("kubernetes:policy/v1:PodDisruptionBudget").inputs.spec, {
                maxUnavailable: 1,
                selector: { matchLabels: selectorOf },
                unhealthyPodEvictionPolicy: "AlwaysAllow",
            });
            assert.deepEqual(recorder.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs.spec, {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" },
                minReplicas: 3,
                maxReplicas: 10,
                metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
                behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
            });
        });

        it("relaxed Deployment: its own replica count, one pod down at a time, no PDB, no HPA", async () => {
            const recorder = await build(apiSpec(), relaxed);
            const spec = recorder.one("kubernetes:apps/v1:Deployment").inputs.spec;
            assert.equal(spec.replicas, 3);
            assert.deepEqual(spec.template.spec.volumes, [], "no volumes the spec did not ask for");
            assert.deepEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } });
            assert.equal(recorder.ofType("kubernetes:policy/v1:PodDisruptionBudget").length, 0);
            assert.equal(recorder.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length, 0);
        });

        it("StatefulSet with a volume: one ordered replica, a headless Service, a claim that is protected when data is", async () => {
            const spec = apiSpec({
                kind: "StatefulSet",
                stateless: false,
                persistentVolume: { size: "2Gi", storageClassName: "fast" },
                serviceAccountToken: true,
                volumes: [{ name: "conf", configMap: { name: "api-config" } }],
            });
            const protectedRun = await build(spec, hardened);
            const claim = protectedRun.one("kubernetes:core/v1:PersistentVolumeClaim");
            assert.equal(claim.name, "api-data");
            assert.deepEqual(claim.inputs.metadata, { ...metadata("api-data"), annotations: { "pulumi.com/skipAwait": "true" } });
            assert.deepEqual(claim.inputs.spec, { accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: "2Gi" } } });
            assert.deepEqual([claim.protect, claim.retainOnDelete], [true, true]);
            assert.strictEqual(protectedRun.one("kubernetes:core/v1:ServiceAccount").inputs.automountServiceAccountToken, true);

            const set = protectedRun.one("kubernetes:apps/v1:StatefulSet");
            assert.equal(set.name, "api-statefulset");
            const { template, ...rest } = set.inputs.spec;
            assert.deepEqual(rest, {
                replicas: 1,
                serviceName: "api",
                revisionHistoryLimit: 5,
                podManagementPolicy: "OrderedReady",
                selector: { matchLabels: selectorOf },
                updateStrategy: { type: "RollingUpdate" },
            });
            assert.deepEqual(template.spec.volumes, [
                { name: "conf", configMap: { name: "api-config" } },
                { name: "data", persistentVolumeClaim: { claimName: "api-data" } },
            ]);
            assert.equal(protectedRun.one("kubernetes:core/v1:Service").inputs.spec.clusterIP, "None");

            const relaxedRun = await build(spec, relaxed);
            const unprotected = relaxedRun.one("kubernetes:core/v1:PersistentVolumeClaim");
            assert.deepEqual([unprotected.protect, unprotected.retainOnDelete], [false, false]);
        });
    });

    describe("CronJob builder, under mocks", () => {
        after(stopMocks);

        const jobLabels = recommendedLabels({ name: "backup", component: "backup", instance: "nsip-test", version: "17" });
        const args: CronJobArgs = {
            metadata: { name: "postgres-backup", namespace: "nsip", labels: jobLabels },
            pod: { name: "postgres-backup", runAsUser: 999, stateless: false, containers: [containerSpec({ name: "dump", ports: [], probes: undefined })] },
            hardening: hardened,
            serviceAccountName: "postgres-backup",
            backoffLimit: 2,
            activeDeadlineSeconds: 600,
            historyLimit: 4,
        };

        async function renderOne(timing: Parameters<typeof cronJob>[1]["timing"]): Promise<RecordedResource> {
            const recorder = await ResourceRecorder.start();
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            cronJob("job", { ...args, timing }, { provider });
            await recorder.settle();
            const job = recorder.one("kubernetes:batch/v1:CronJob");
            assert.equal(job.name, "job");
            assert.ok(job.provider?.endsWith("::k8s"), "uses the explicit provider");
            return job;
        }

        /** What scheduled Jobs and templates share: one at a time, UTC, the limits and history, the builder's batch pod. */
        function assertJobShape(spec: Json) {
            assert.equal(spec.timeZone, "Etc/UTC");
            assert.equal(spec.concurrencyPolicy, "Forbid");
            assert.deepEqual([spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit], [4, 4]);
            assert.deepEqual(spec.jobTemplate.metadata, { labels: jobLabels });
            const { template, ...limits } = spec.jobTemplate.spec;
            assert.deepEqual(limits, { backoffLimit: 2, activeDeadlineSeconds: 600 });
            assert.deepEqual(template.metadata, { labels: jobLabels });
            // As the engine records it: without the builder's undefined fields.
            assert.deepEqual(template.spec, JSON.parse(JSON.stringify(batchPodSpec(args.pod, hardened, "postgres-backup"))));
        }

        it("a scheduled Job: its cron and starting deadline, not suspended, no template annotation", async () => {
            const job = await renderOne({ schedule: "17 3 * * *", startingDeadlineSeconds: 3600 });
            assert.deepEqual(job.inputs.metadata, args.metadata);
            assert.equal(job.inputs.spec.schedule, "17 3 * * *");
            assert.equal(job.inputs.spec.startingDeadlineSeconds, 3600);
            assert.equal("suspend" in job.inputs.spec, false);
            assertJobShape(job.inputs.spec);
        });

        it("a template: suspended, says which ops command instantiates it, never scheduled by itself", async () => {
            const job = await renderOne({ instantiatedBy: "npm run ops -- restore" });
            assert.deepEqual(job.inputs.metadata, { ...args.metadata, annotations: { "nsip.dev/template": "instantiated by `npm run ops -- restore`; never scheduled" } });
            assert.strictEqual(job.inputs.spec.suspend, true);
            assert.equal(job.inputs.spec.schedule, "0 0 1 1 *");
            assert.equal("startingDeadlineSeconds" in job.inputs.spec, false);
            assertJobShape(job.inputs.spec);
        });
    });
});
