import { strict as assert } from "assert";
import {
    dataProtectionViolations,
    defaultDenyViolations,
    describeObject,
    imageViolations,
    isApplicationImage,
    isDefaultDeny,
    isProdStack,
    K8sObject,
    loadBalancerMetricsViolations,
    namespaceViolations,
    objectViolations,
    parseImage,
    podSecurityViolations,
    probeViolations,
    readOnlyRootFilesystemViolations,
    resourceViolations,
    serviceAccountTokenViolations,
    StackResource,
    stackLoadBalancerViolations,
    stackViolations,
    types,
} from "../policy/rules";

/**
 * policy/rules.ts in process, branch by branch: each case is one concrete Kubernetes object (or stack) and the exact
 * violation messages it must yield (or none). test/policy.test.ts runs the same rules over the real renders and the
 * pack in Pulumi's policy host; this file pins the edges those leave open (found by `npm run mutate`).
 */

const DIGEST = `sha256:${"0f".repeat(32)}`;
const sized = { cpu: "50m", memory: "64Mi", "ephemeral-storage": "32Mi" };
const hardened = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 10001,
    seccompProfile: { type: "RuntimeDefault" },
};

/** A container that passes every object rule. */
function container(name: string, extra: K8sObject = {}): K8sObject {
    return {
        name,
        image: `registry.local:5000/nsip/${name}@${DIGEST}`,
        readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
        livenessProbe: { httpGet: { path: "/live", port: 8080 } },
        resources: { requests: { ...sized }, limits: { ...sized } },
        securityContext: { ...hardened },
        ...extra,
    };
}

const podSpec = (containers: K8sObject[], extra: K8sObject = {}): K8sObject => ({
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers,
    ...extra,
});

const bareP = (spec: K8sObject, metadata: K8sObject = { name: "probe", namespace: "ops" }): K8sObject => ({ apiVersion: "v1", kind: "Pod", metadata, spec });
const cronJob = (spec: K8sObject): K8sObject => ({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "nightly", namespace: "ops" },
    spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { metadata: { labels: { app: "nightly" } }, spec } } } },
});
const deployment = (spec: K8sObject, labels: K8sObject = { app: "web" }, namespace = "shop"): K8sObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
});

function resource(type: string, name: string, props: K8sObject, protect = false): StackResource {
    return { type, name, urn: `urn:pulumi:prod::nsip::${type}::${name}`, protect, props };
}

describe("policy rules (policy/rules.ts) on hand-made objects", () => {
    describe("naming the object in messages", () => {
        it("kind and namespace/name; fallbacks for a missing kind, name or namespace, and an unknown name", () => {
            assert.equal(describeObject({ kind: "Deployment", metadata: { name: "api", namespace: "nsip" } }), "Deployment nsip/api");
            assert.equal(describeObject({ kind: "Namespace", metadata: { name: "nsip" } }), "Namespace nsip");
            assert.equal(describeObject({ kind: "Pod" }), "Pod <unnamed>");
            assert.equal(describeObject({ metadata: { namespace: "nsip" } }), "object nsip/<unnamed>");
            const unknownName = {
                kind: "Job",
                metadata: {
                    namespace: "nsip",
                    get name(): string {
                        throw new Error("Unknown value read during preview");
                    },
                },
            };
            assert.equal(describeObject(unknownName), "Job nsip/<known after apply>");
        });

        it("an unknown name still lets the other checks of the object run (and is not taken for an exempt one)", () => {
            const job: K8sObject = { apiVersion: "batch/v1", kind: "Job", metadata: {}, spec: { template: { spec: podSpec([container("migrate")], { automountServiceAccountToken: true }) } } };
            Object.defineProperty(job.metadata, "name", {
                get() {
                    throw new Error("Unknown value read during preview");
                },
            });
            assert.deepEqual(serviceAccountTokenViolations(job), [
                "Job <known after apply>: spec.template.spec.automountServiceAccountToken must be false (found true); only prometheus, cluster-autoscaler, and kube-state-metrics get a token",
            ]);
        });
    });

    describe("field paths per kind: Pod, CronJob, Deployment", () => {
        it("readOnlyRootFilesystem unset or false, at each kind's pod spec path", () => {
            const unset = container("app", { securityContext: { ...hardened, readOnlyRootFilesystem: undefined } });
            const writable = container("side", { securityContext: { ...hardened, readOnlyRootFilesystem: false } });
            const noContext = container("bare", { securityContext: undefined });
            assert.deepEqual(readOnlyRootFilesystemViolations(bareP(podSpec([unset]))), [
                "Pod ops/probe: spec.containers[app].securityContext.readOnlyRootFilesystem must be true (found unset)",
            ]);
            assert.deepEqual(readOnlyRootFilesystemViolations(cronJob(podSpec([writable], { restartPolicy: "OnFailure" })) ), [
                "CronJob ops/nightly: spec.jobTemplate.spec.template.spec.containers[side].securityContext.readOnlyRootFilesystem must be true (found false)",
            ]);
            assert.deepEqual(readOnlyRootFilesystemViolations(deployment(podSpec([container("ok")], { initContainers: [noContext] }))), [
                "Deployment shop/web: spec.template.spec.initContainers[bare].securityContext.readOnlyRootFilesystem must be true (found unset)",
            ]);
        });

        it("objects without a pod spec yield nothing, and a pod spec without containers yields nothing", () => {
            const service = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" }, spec: { ports: [{ port: 80 }] } };
            const specless = { apiVersion: "v1", kind: "Pod", metadata: { name: "pending", namespace: "shop" } };
            const debugged = bareP(podSpec([container("app")], { ephemeralContainers: [{ name: "debug", image: "busybox:1.37" }] }));
            for (const check of [readOnlyRootFilesystemViolations, resourceViolations, probeViolations, imageViolations]) {
                assert.deepEqual(check(debugged), [], `${check.name}: ephemeral containers are only checked for pinned images`);
            }
            for (const check of [podSecurityViolations, readOnlyRootFilesystemViolations, resourceViolations, probeViolations, serviceAccountTokenViolations, imageViolations]) {
                assert.deepEqual(check(service), [], check.name);
                assert.deepEqual(check(specless), [], check.name);
                assert.deepEqual(check(deployment({ automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } })), [], check.name);
            }
        });

        it("Pod Security violations carry the kind's pod spec path", () => {
            const pod = bareP(podSpec([container("app")], { hostNetwork: true }));
            const found = podSecurityViolations(pod);
            assert.equal(found.length, 1);
            assert.match(found[0], /^Pod ops\/probe: spec: .*hostNetwork/);
            const cron = cronJob(podSpec([container("app")], { hostPID: true, restartPolicy: "Never" }));
            const cronFound = podSecurityViolations(cron);
            assert.equal(cronFound.length, 1);
            assert.match(cronFound[0], /^CronJob ops\/nightly: spec\.jobTemplate\.spec\.template\.spec: .*hostPID/);
            assert.deepEqual(podSecurityViolations(bareP(podSpec([container("app")]))), []);
        });
    });

    describe("resource requests and limits", () => {
        it("undefined, null and empty values are unset; every missing one is named in order", () => {
            const c = container("app");
            c.resources.requests.cpu = null;
            c.resources.limits.memory = "";
            delete c.resources.limits["ephemeral-storage"];
            assert.deepEqual(resourceViolations(deployment(podSpec([c]))), [
                "Deployment shop/web: spec.template.spec.containers[app].resources.requests.cpu is not set",
                "Deployment shop/web: spec.template.spec.containers[app].resources.limits.memory is not set",
                "Deployment shop/web: spec.template.spec.containers[app].resources.limits.ephemeral-storage is not set",
            ]);
            const none = container("none", { resources: undefined });
            assert.deepEqual(
                resourceViolations(bareP(podSpec([none]))),
                ["requests", "limits"].flatMap((kind) => ["cpu", "memory", "ephemeral-storage"].map((r) => `Pod ops/probe: spec.containers[none].resources.${kind}.${r} is not set`)),
            );
            const zero = container("zero");
            zero.resources.requests.cpu = 0;
            assert.deepEqual(resourceViolations(bareP(podSpec([zero]))), [], "0 is a value");
        });
    });

    describe("probes", () => {
        const noProbes = (name: string) => container(name, { readinessProbe: undefined, livenessProbe: undefined });

        it("a bare Pod is long-running unless its restartPolicy says otherwise", () => {
            const missing = ["Pod ops/probe: spec.containers[app].readinessProbe is not set", "Pod ops/probe: spec.containers[app].livenessProbe is not set"];
            assert.deepEqual(probeViolations(bareP(podSpec([noProbes("app")]))), missing, "restartPolicy unset means Always");
            assert.deepEqual(probeViolations(bareP(podSpec([noProbes("app")], { restartPolicy: "Always" }))), missing);
            assert.deepEqual(probeViolations(bareP(podSpec([noProbes("app")], { restartPolicy: "Never" }))), []);
            assert.deepEqual(probeViolations(bareP(podSpec([noProbes("app")], { restartPolicy: "OnFailure" }))), []);
            assert.deepEqual(probeViolations(cronJob(podSpec([noProbes("app")], { restartPolicy: "OnFailure" }))), []);
            const d = deployment(podSpec([noProbes("app")]));
            d.spec.restartPolicy = "Never";
            assert.deepEqual(
                probeViolations(d),
                ["Deployment shop/web: spec.template.spec.containers[app].readinessProbe is not set", "Deployment shop/web: spec.template.spec.containers[app].livenessProbe is not set"],
                "only a Pod's own restartPolicy exempts it",
            );
        });

        it("plain init containers need no probes; sidecars and containers do; a missing liveness alone is named", () => {
            const d = deployment(podSpec([container("app", { livenessProbe: undefined })], { initContainers: [noProbes("wait"), noProbes("proxy")] }));
            d.spec.template.spec.initContainers[1].restartPolicy = "Always";
            assert.deepEqual(probeViolations(d), [
                "Deployment shop/web: spec.template.spec.initContainers[proxy].readinessProbe is not set",
                "Deployment shop/web: spec.template.spec.initContainers[proxy].livenessProbe is not set",
                "Deployment shop/web: spec.template.spec.containers[app].livenessProbe is not set",
            ]);
        });

        it("liveness equal to readiness is caught whatever the key order or undefined keys; any difference is fine", () => {
            const identical = "livenessProbe is identical to readinessProbe: a liveness check must not restart pods that are merely not ready";
            const withProbes = (readinessProbe: K8sObject, livenessProbe: K8sObject) => probeViolations(bareP(podSpec([container("app", { readinessProbe, livenessProbe })])));
            const exec = (command: string[], extra: K8sObject = {}) => ({ exec: { command }, periodSeconds: 5, ...extra });
            assert.deepEqual(withProbes({ periodSeconds: 5, exec: { command: ["check", "ready"] } }, exec(["check", "ready"])), [`Pod ops/probe: spec.containers[app].${identical}`]);
            assert.deepEqual(withProbes(exec(["check", "ready"]), exec(["check", "ready"], { timeoutSeconds: undefined })), [`Pod ops/probe: spec.containers[app].${identical}`]);
            assert.deepEqual(withProbes(exec(["check", "ready"]), exec(["check", "live"])), []);
            assert.deepEqual(withProbes(exec(["check", "ready"]), exec(["check"])), []);
            assert.deepEqual(withProbes(exec(["check", "ready"]), exec(["check", "ready"], { timeoutSeconds: 3 })), []);
            assert.deepEqual(withProbes(exec(["check", "ready"]), exec(["check", "ready"], { periodSeconds: 10 })), []);
            const http = (host: string | null) => ({ httpGet: { path: "/healthz", port: 8080, host }, periodSeconds: 5 });
            assert.deepEqual(withProbes(http(null), http(null)), [`Pod ops/probe: spec.containers[app].${identical}`], "null fields compare as values");
            assert.deepEqual(withProbes(http(null), http("127.0.0.1")), []);
            const grpc = (extra: K8sObject) => ({ grpc: { port: 9090 }, ...extra });
            assert.deepEqual(withProbes(grpc({ codes: [1, 23] }), grpc({ codes: [12, 3] })), [], "the lists [1,23] and [12,3] differ");
            assert.deepEqual(withProbes(grpc({ codes: [1] }), grpc({ codes: [1] })), [`Pod ops/probe: spec.containers[app].${identical}`]);
            assert.deepEqual(withProbes(grpc({ service: ["ready"] }), grpc({ service: "ready" })), [], "a one-element list is not its element");
            assert.deepEqual(withProbes(grpc({ service: ["ready"] }), grpc({ service: { 0: "ready" } })), [], "a list is not an object with index keys");
        });
    });

    describe("service-account tokens", () => {
        it("ServiceAccounts: false passes, unset and true fail, exempt names pass; pod specs the same", () => {
            const sa = (name: string, automount?: boolean): K8sObject => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: "nsip" }, automountServiceAccountToken: automount });
            const only = "only prometheus, cluster-autoscaler, and kube-state-metrics get a token";
            assert.deepEqual(serviceAccountTokenViolations(sa("api", false)), []);
            assert.deepEqual(serviceAccountTokenViolations(sa("api")), [`ServiceAccount nsip/api: automountServiceAccountToken must be false (found unset); ${only}`]);
            for (const exempt of ["prometheus", "cluster-autoscaler", "kube-state-metrics"]) assert.deepEqual(serviceAccountTokenViolations(sa(exempt, true)), [], exempt);
            assert.deepEqual(serviceAccountTokenViolations(cronJob(podSpec([container("app")], { automountServiceAccountToken: undefined }))), [
                `CronJob ops/nightly: spec.jobTemplate.spec.template.spec.automountServiceAccountToken must be false (found unset); ${only}`,
            ]);
            assert.deepEqual(serviceAccountTokenViolations(bareP(podSpec([container("app")], { automountServiceAccountToken: true }))), [
                `Pod ops/probe: spec.automountServiceAccountToken must be false (found true); ${only}`,
            ]);
            assert.deepEqual(serviceAccountTokenViolations(bareP(podSpec([container("app")]))), []);
        });
    });

    describe("image references", () => {
        it("parseImage: registry ports, tags, digests, and the @ / : / slash boundaries", () => {
            assert.deepEqual(parseImage("redis"), { repository: "redis", digest: undefined });
            assert.deepEqual(parseImage("redis:7.4"), { repository: "redis", tag: "7.4", digest: undefined });
            assert.deepEqual(parseImage("registry:5000/redis"), { repository: "registry:5000/redis", digest: undefined });
            assert.deepEqual(parseImage("registry:5000/nsip/api:1.0"), { repository: "registry:5000/nsip/api", tag: "1.0", digest: undefined });
            assert.deepEqual(parseImage(`nsip/api@${DIGEST}`), { repository: "nsip/api", digest: DIGEST });
            assert.deepEqual(parseImage(`registry:5000/nsip/api@${DIGEST}`), { repository: "registry:5000/nsip/api", digest: DIGEST });
            assert.deepEqual(parseImage("@sha256:ab"), { repository: "", digest: "sha256:ab" }, "an @ at the very start is still the digest separator");
            assert.deepEqual(parseImage("redis:"), { repository: "redis", tag: "", digest: undefined });
        });

        it("isApplicationImage: an nsip path segment anywhere, not a substring of a segment", () => {
            assert.equal(isApplicationImage(`nsip/api@${DIGEST}`), true);
            assert.equal(isApplicationImage("registry:5000/team/nsip:1.0"), true);
            assert.equal(isApplicationImage("nsip:1.0"), true);
            assert.equal(isApplicationImage("registry:5000/nsipx/api:1.0"), false);
            assert.equal(isApplicationImage("registry:5000/my-nsip/api:1.0"), false);
            assert.equal(isApplicationImage("redis:7.4"), false);
        });

        it("missing or empty image; malformed digests; no tag; :latest; ephemeral containers are checked too", () => {
            const where = (c: string) => `Pod ops/probe: spec.${c}.image`;
            const pod = bareP(
                podSpec(
                    [
                        container("none", { image: undefined }),
                        container("empty", { image: "" }),
                        container("app", { image: "nsip/api@sha256:0f0f" }),
                        container("upper", { image: `nsip/api@sha256:${"0F".repeat(32)}` }),
                        container("third", { image: "postgres@sha256:1234" }),
                        container("long", { image: `postgres@${DIGEST}0` }),
                        container("prefixed", { image: `postgres@x${DIGEST}` }),
                        container("pinned", { image: `postgres@${DIGEST}` }),
                        container("untagged", { image: "registry:5000/postgres" }),
                        container("latest", { image: "postgres:latest" }),
                        container("tagged", { image: "postgres:17.2" }),
                    ],
                    { ephemeralContainers: [{ name: "debug", image: "busybox:latest" }] },
                ),
            );
            assert.deepEqual(imageViolations(pod), [
                `${where("containers[none]")} is not set`,
                `${where("containers[empty]")} is not set`,
                `${where("containers[app]")} nsip/api@sha256:0f0f is an application image and must be referenced by digest (@sha256:<64 hex>)`,
                `${where("containers[upper]")} nsip/api@sha256:${"0F".repeat(32)} is an application image and must be referenced by digest (@sha256:<64 hex>)`,
                `${where("containers[third]")} postgres@sha256:1234 has a malformed digest (expected sha256:<64 hex>)`,
                `${where("containers[long]")} postgres@${DIGEST}0 has a malformed digest (expected sha256:<64 hex>)`,
                `${where("containers[prefixed]")} postgres@x${DIGEST} has a malformed digest (expected sha256:<64 hex>)`,
                `${where("containers[untagged]")} registry:5000/postgres has no tag, which means :latest; pin a version tag`,
                `${where("containers[latest]")} postgres:latest uses the moving tag :latest; pin a version tag`,
                `${where("ephemeralContainers[debug]")} busybox:latest uses the moving tag :latest; pin a version tag`,
            ]);
            assert.deepEqual(imageViolations(bareP(podSpec([container("app", { image: 42 })]))), ["Pod ops/probe: spec.containers[app].image is not set"], "a non-string image");
        });
    });

    describe("namespaces", () => {
        it("every Pod Security level is accepted; a missing label (or labels, or metadata) is named", () => {
            const ns = (labels?: Record<string, string>): K8sObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: "nsip", labels } });
            for (const level of ["privileged", "baseline", "restricted"]) assert.deepEqual(namespaceViolations(ns({ "pod-security.kubernetes.io/enforce": level })), [], level);
            assert.deepEqual(namespaceViolations(ns()), ['Namespace nsip: metadata.labels["pod-security.kubernetes.io/enforce"] is not set']);
            assert.deepEqual(namespaceViolations({ kind: "Namespace" }), ['Namespace <unnamed>: metadata.labels["pod-security.kubernetes.io/enforce"] is not set']);
            assert.deepEqual(namespaceViolations(ns({ "pod-security.kubernetes.io/enforce": "Restricted" })), [
                'Namespace nsip: metadata.labels["pod-security.kubernetes.io/enforce"] is "Restricted", expected one of privileged, baseline, restricted',
            ]);
        });
    });

    describe("no metrics through a load balancer", () => {
        const lb = (ports: K8sObject[], selector: K8sObject = { app: "web" }, type = "LoadBalancer"): K8sObject => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "web-lb", namespace: "shop" },
            spec: { type, selector, ports },
        });
        const web = (ports: K8sObject[], namespace = "shop", labels: K8sObject = { app: "web" }) => deployment(podSpec([container("web", { ports })]), labels, namespace);
        const portsOfWeb = [
            { name: "http", containerPort: 3000 },
            { name: "metrics", containerPort: 9400 },
            { name: "exporter", containerPort: 9187 },
            { name: "admin", containerPort: 9401 },
        ];
        const tail = "metrics are never served through a load balancer";
        const exporterPorts = "(9100, 9113, 9121, 9187)";

        it("numeric targets: exporter ports, the pods' port named metrics (number or numeric string), not other pod ports", () => {
            const service = lb([
                { name: "http", port: 80, targetPort: 3000 },
                { port: 8443, targetPort: 9121 },
                { name: "scrape", port: 443, targetPort: "9400" },
                { name: "admin", port: 8080, targetPort: 9401 },
                { name: "by-port", port: 9113 },
                { name: "masked", port: 9100, targetPort: 3000 },
            ]);
            assert.deepEqual(loadBalancerMetricsViolations(service, [web(portsOfWeb)]), [
                `Service shop/web-lb: spec.ports[1].targetPort 9121 is a metrics port ${exporterPorts}; ${tail}`,
                `Service shop/web-lb: spec.ports[scrape].targetPort "9400" is the pods' port named "metrics"; ${tail}`,
                `Service shop/web-lb: spec.ports[by-port].targetPort 9113 is a metrics port ${exporterPorts}; ${tail}`,
            ]);
            assert.deepEqual(loadBalancerMetricsViolations(lb([{ name: "s", port: 80, targetPort: "9100" }])), [
                `Service shop/web-lb: spec.ports[s].targetPort "9100" is a metrics port ${exporterPorts}; ${tail}`,
            ]);
        });

        it("named targets: metrics, or a pod port name on an exporter port; digits inside a name are still a name", () => {
            const named = [
                { name: "exporter", containerPort: 9187 },
                { name: "a9187", containerPort: 9187 },
                { name: "9121b", containerPort: 9121 },
                { name: "http", containerPort: 3000 },
                { name: "web-metrics", containerPort: 8080 },
            ];
            const service = lb([
                { name: "m", port: 80, targetPort: "metrics" },
                { name: "e", port: 81, targetPort: "exporter" },
                { name: "a", port: 82, targetPort: "a9187" },
                { name: "b", port: 83, targetPort: "9121b" },
                { name: "h", port: 84, targetPort: "http" },
                { name: "w", port: 85, targetPort: "web-metrics" },
                { name: "u", port: 86, targetPort: "unknown" },
            ]);
            assert.deepEqual(loadBalancerMetricsViolations(service, [web(named)]), [
                `Service shop/web-lb: spec.ports[m].targetPort "metrics" is the port named "metrics"; ${tail}`,
                `Service shop/web-lb: spec.ports[e].targetPort "exporter" names a pod port on a metrics port ${exporterPorts}; ${tail}`,
                `Service shop/web-lb: spec.ports[a].targetPort "a9187" names a pod port on a metrics port ${exporterPorts}; ${tail}`,
                `Service shop/web-lb: spec.ports[b].targetPort "9121b" names a pod port on a metrics port ${exporterPorts}; ${tail}`,
            ]);
        });

        it("only pods the Service selects count: same namespace, every selector label, a non-empty selector; Pods and CronJobs too", () => {
            const service = lb([{ name: "scrape", port: 443, targetPort: 9400 }, { name: "e", port: 80, targetPort: "exporter" }]);
            const expected = [
                `Service shop/web-lb: spec.ports[scrape].targetPort 9400 is the pods' port named "metrics"; ${tail}`,
                `Service shop/web-lb: spec.ports[e].targetPort "exporter" names a pod port on a metrics port ${exporterPorts}; ${tail}`,
            ];
            assert.deepEqual(loadBalancerMetricsViolations(service, [web(portsOfWeb)]), expected);
            assert.deepEqual(loadBalancerMetricsViolations(service, [web(portsOfWeb, "other")]), [], "another namespace");
            assert.deepEqual(loadBalancerMetricsViolations(service, [web(portsOfWeb, "shop", { app: "web-admin" })]), [], "other labels");
            assert.deepEqual(loadBalancerMetricsViolations(lb(service.spec.ports, { app: "web", tier: "front" }), [web(portsOfWeb)]), [], "one selector label missing on the pods");
            assert.deepEqual(loadBalancerMetricsViolations(lb(service.spec.ports, {}), [web(portsOfWeb)]), [], "an empty selector selects no pods");
            const selectorless = lb(service.spec.ports);
            delete selectorless.spec.selector;
            assert.deepEqual(loadBalancerMetricsViolations(selectorless, [web(portsOfWeb)]), [], "no selector selects no pods");
            const unlabelled = web(portsOfWeb);
            delete unlabelled.spec.template.metadata;
            assert.deepEqual(loadBalancerMetricsViolations(service, [unlabelled]), [], "pods without labels");
            const anonymousPod = { kind: "Pod", spec: podSpec([container("web", { ports: portsOfWeb })]) };
            assert.deepEqual(loadBalancerMetricsViolations({ kind: "Service", spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 80, targetPort: 9400 }] } }, [anonymousPod]), [], "a Pod without metadata has no labels to select");
            const pod = bareP(podSpec([container("web", { ports: portsOfWeb })]), { name: "web-0", namespace: "shop", labels: { app: "web" } });
            assert.deepEqual(loadBalancerMetricsViolations(service, [pod]), expected, "a bare Pod, by its own labels");
            const cron = cronJob(podSpec([container("web", { ports: portsOfWeb })]));
            cron.metadata.namespace = "shop";
            assert.deepEqual(loadBalancerMetricsViolations(lb(service.spec.ports, { app: "nightly" }), [cron]), expected, "a CronJob, by its job template's labels");
            const sidecar = deployment(podSpec([container("web")], { initContainers: [container("proxy", { restartPolicy: "Always", ports: portsOfWeb })] }));
            assert.deepEqual(loadBalancerMetricsViolations(service, [sidecar]), expected, "ports of a sidecar count");
            assert.deepEqual(loadBalancerMetricsViolations(service, [deployment(podSpec([container("web")]))]), [], "containers without ports");
            const halfBuilt: K8sObject[] = [
                { kind: "CronJob", metadata: { namespace: "shop" } },
                { kind: "CronJob", metadata: { namespace: "shop" }, spec: {} },
                { kind: "CronJob", metadata: { namespace: "shop" }, spec: { jobTemplate: {} } },
                { kind: "CronJob", metadata: { namespace: "shop" }, spec: { jobTemplate: { spec: {} } } },
                { kind: "CronJob", metadata: { namespace: "shop" }, spec: { jobTemplate: { spec: { template: {} } } } },
                { kind: "Deployment", metadata: { namespace: "shop" } },
                { kind: "Deployment", metadata: { namespace: "shop" }, spec: {} },
                { kind: "Pod", metadata: { namespace: "shop" } },
                { kind: "Deployment" },
            ];
            for (const w of halfBuilt) assert.deepEqual(loadBalancerMetricsViolations(service, [w, web(portsOfWeb)]), expected, JSON.stringify(w));
        });

        it("not a LoadBalancer, or no ports: nothing", () => {
            for (const type of ["ClusterIP", "NodePort"]) assert.deepEqual(loadBalancerMetricsViolations(lb([{ name: "metrics", port: 9100 }], { app: "web" }, type), [web(portsOfWeb)]), [], type);
            assert.deepEqual(loadBalancerMetricsViolations({ kind: "Service", metadata: { name: "x" } }), []);
            assert.deepEqual(loadBalancerMetricsViolations({ kind: "Service" }), []);
            assert.deepEqual(loadBalancerMetricsViolations({ kind: "Service", spec: { type: "LoadBalancer", ports: [{ port: 9100 }] } }), [
                `Service <unnamed>: spec.ports[0].targetPort 9100 is a metrics port ${exporterPorts}; ${tail}`,
            ]);
            assert.deepEqual(loadBalancerMetricsViolations({ kind: "Service", metadata: { name: "x", namespace: "shop" }, spec: { type: "LoadBalancer", selector: { app: "web" } } }, [web([{ containerPort: 9100 }])]), []);
        });
    });

    describe("stack rules", () => {
        const namespace = (name: string, level?: string): StackResource =>
            resource(types.Namespace, name, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: level ? { "pod-security.kubernetes.io/enforce": level } : undefined } });
        const denyAll = (ns: string | undefined, spec: K8sObject = { podSelector: {}, policyTypes: ["Ingress", "Egress"] }): StackResource =>
            resource(types.NetworkPolicy, `${ns ?? "default"}-deny`, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "default-deny", namespace: ns }, spec });
        const noDeny = (ns: string) => `namespace ${ns} has no default-deny NetworkPolicy (spec.podSelector {}, spec.policyTypes [Ingress, Egress], no ingress or egress rules)`;

        it("isProdStack: pack config prod, or a Namespace resource enforcing restricted", () => {
            assert.equal(isProdStack([], { environment: "prod" }), true);
            assert.equal(isProdStack([], { environment: "dev" }), false);
            assert.equal(isProdStack([]), false);
            assert.equal(isProdStack([namespace("nsip", "restricted")]), true);
            assert.equal(isProdStack([namespace("nsip", "baseline")]), false);
            assert.equal(isProdStack([namespace("nsip")]), false);
            assert.equal(isProdStack([resource(types.Namespace, "bare", {})]), false);
            const labelledDeployment = resource(types.Deployment, "web", { ...deployment(podSpec([container("web")])), metadata: { name: "web", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
            assert.equal(isProdStack([labelledDeployment]), false, "only a Namespace's label counts");
        });

        it("isDefaultDeny: empty, null or missing podSelector; both policy types; no rules", () => {
            const np = (spec: K8sObject | undefined): K8sObject => ({ kind: "NetworkPolicy", metadata: { name: "d" }, spec });
            const both = ["Ingress", "Egress"];
            assert.equal(isDefaultDeny(np({ podSelector: {}, policyTypes: both })), true);
            assert.equal(isDefaultDeny(np({ podSelector: null, policyTypes: both })), true);
            assert.equal(isDefaultDeny(np({ policyTypes: both })), true);
            assert.equal(isDefaultDeny(np({ podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: both, ingress: [], egress: [] })), true);
            assert.equal(isDefaultDeny(np({ podSelector: { matchLabels: { app: "web" } }, policyTypes: both })), false);
            assert.equal(isDefaultDeny(np({ podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] }, policyTypes: both })), false);
            assert.equal(isDefaultDeny(np({ podSelector: { matchLabels: {}, matchExpressions: [{ key: "app", operator: "Exists" }] }, policyTypes: both })), false);
            assert.equal(isDefaultDeny(np({ podSelector: {}, policyTypes: ["Egress"] })), false);
            assert.equal(isDefaultDeny(np({ podSelector: {}, policyTypes: ["Ingress"] })), false);
            assert.equal(isDefaultDeny(np({ podSelector: {} })), false);
            assert.equal(isDefaultDeny(np({ podSelector: {}, policyTypes: both, ingress: [{}] })), false);
            assert.equal(isDefaultDeny(np({ podSelector: {}, policyTypes: both, egress: [{}] })), false);
            assert.equal(isDefaultDeny(np(undefined)), false);
        });

        it("defaultDenyViolations: declared namespaces (by name) and namespaces workloads land in, default included", () => {
            const nsip = namespace("nsip", "restricted");
            const orphanJob = resource(types.Job, "migrate", { kind: "Job", metadata: { name: "migrate" }, spec: {} });
            const serviceElsewhere = resource(types.Service, "svc", { kind: "Service", metadata: { name: "svc", namespace: "services-only" } });
            const unnamed = resource(types.Namespace, "unnamed", { kind: "Namespace", metadata: {} });
            const noMetadata = resource(types.Namespace, "no-metadata", { kind: "Namespace" });
            assert.deepEqual(defaultDenyViolations([nsip, orphanJob, serviceElsewhere, unnamed, noMetadata]), [
                { urn: nsip.urn, message: noDeny("nsip") },
                { urn: undefined, message: noDeny("default") },
            ]);
            assert.deepEqual(defaultDenyViolations([nsip, orphanJob, denyAll("nsip"), denyAll(undefined)]), [], "a policy without a namespace denies in default");
            const bareDeny = resource(types.NetworkPolicy, "bare-deny", { kind: "NetworkPolicy", spec: { policyTypes: ["Ingress", "Egress"] } });
            const bareJob = resource(types.Job, "bare-job", { kind: "Job" });
            assert.deepEqual(defaultDenyViolations([bareJob]), [{ urn: undefined, message: noDeny("default") }], "a workload without metadata lands in default");
            assert.deepEqual(defaultDenyViolations([bareJob, bareDeny]), [], "a policy without metadata denies in default");
            const lookalike = { ...denyAll("nsip"), type: "kubernetes:core/v1:ConfigMap" };
            assert.deepEqual(defaultDenyViolations([nsip, lookalike]), [{ urn: nsip.urn, message: noDeny("nsip") }], "only NetworkPolicies count");
            assert.deepEqual(defaultDenyViolations([nsip, denyAll("nsip", { podSelector: null, policyTypes: ["Ingress", "Egress"] })]), []);
            const declaredAndUsed = resource(types.StatefulSet, "db", { kind: "StatefulSet", metadata: { name: "db", namespace: "nsip" } });
            assert.deepEqual(defaultDenyViolations([nsip, declaredAndUsed]), [{ urn: nsip.urn, message: noDeny("nsip") }], "a declared namespace keeps its URN");
        });

        it("dataProtectionViolations: only data types, only unprotected", () => {
            const pvc = resource(types.PersistentVolumeClaim, "data", {});
            const bucket = resource(types.S3Bucket, "backups", {});
            const repo = resource(types.EcrRepository, "api", {}, true);
            const deploymentRes = resource(types.Deployment, "web", {});
            assert.deepEqual(dataProtectionViolations([pvc, bucket, repo, deploymentRes]), [
                { urn: pvc.urn, message: "kubernetes:core/v1:PersistentVolumeClaim data: the protect resource option must be set on data in prod" },
                { urn: bucket.urn, message: "aws:s3/bucket:Bucket backups: the protect resource option must be set on data in prod" },
            ]);
        });

        it("stackLoadBalancerViolations: each LoadBalancer Service against the stack's workloads, with its URN", () => {
            const pods = deployment(podSpec([container("web", { ports: [{ name: "metrics", containerPort: 9400 }] })]));
            const service = resource(types.Service, "web-lb", { kind: "Service", metadata: { name: "web-lb", namespace: "shop" }, spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ name: "s", port: 80, targetPort: 9400 }] } });
            const message = `Service shop/web-lb: spec.ports[s].targetPort 9400 is the pods' port named "metrics"; metrics are never served through a load balancer`;
            assert.deepEqual(stackLoadBalancerViolations([service, resource(types.Deployment, "web", pods)]), [{ urn: service.urn, message }]);
            assert.deepEqual(stackLoadBalancerViolations([service, resource("kubernetes:apps/v1:ReplicaSet", "web", { ...pods, kind: "Deployment" })]), [], "only workload types are pods");
            assert.deepEqual(stackLoadBalancerViolations([{ ...service, type: "kubernetes:core/v1:Endpoints" }, resource(types.Deployment, "web", pods)]), [], "only Services");
        });

        it("stackViolations: rule names; the prod-only rule only in prod", () => {
            const pvc = resource(types.PersistentVolumeClaim, "data", {});
            const dev = [namespace("nsip", "baseline"), pvc];
            assert.deepEqual(stackViolations(dev), [{ rule: "default-deny-network-policy", urn: dev[0].urn, message: noDeny("nsip") }]);
            assert.deepEqual(stackViolations(dev, { environment: "prod" }), [
                { rule: "default-deny-network-policy", urn: dev[0].urn, message: noDeny("nsip") },
                { rule: "prod-data-protected", urn: pvc.urn, message: "kubernetes:core/v1:PersistentVolumeClaim data: the protect resource option must be set on data in prod" },
            ]);
        });
    });

    describe("objectViolations: each rule only on its kinds", () => {
        it("a workload gets the workload rules, a ServiceAccount only the token rule, a Namespace only the label rule, a Service none", () => {
            const bad = deployment(podSpec([container("web", { image: "nginx", securityContext: { ...hardened, readOnlyRootFilesystem: false } })], { automountServiceAccountToken: true }));
            assert.deepEqual(objectViolations(types.Deployment, bad), [
                { rule: "read-only-root-filesystem", message: "Deployment shop/web: spec.template.spec.containers[web].securityContext.readOnlyRootFilesystem must be true (found false)" },
                {
                    rule: "no-service-account-token",
                    message: "Deployment shop/web: spec.template.spec.automountServiceAccountToken must be false (found true); only prometheus, cluster-autoscaler, and kube-state-metrics get a token",
                },
                { rule: "pinned-images", message: "Deployment shop/web: spec.template.spec.containers[web].image nginx has no tag, which means :latest; pin a version tag" },
            ]);
            assert.deepEqual(objectViolations(types.Service, bad), []);
            const sa = { kind: "ServiceAccount", metadata: { name: "api", namespace: "nsip" } };
            assert.deepEqual(
                objectViolations(types.ServiceAccount, sa).map((v) => v.rule),
                ["no-service-account-token"],
            );
            assert.deepEqual(objectViolations(types.Namespace, { kind: "Namespace", metadata: { name: "nsip" } }), [
                { rule: "namespace-pod-security-label", message: 'Namespace nsip: metadata.labels["pod-security.kubernetes.io/enforce"] is not set' },
            ]);
        });
    });
});
