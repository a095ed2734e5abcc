import { strict as assert } from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { promisify } from "util";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
    dataProtectionViolations,
    defaultDenyViolations,
    imageViolations,
    isProdStack,
    K8sObject,
    loadBalancerMetricsViolations,
    namespaceViolations,
    objectRules,
    objectViolations,
    parseImage,
    podSecurityViolations,
    probeViolations,
    readOnlyRootFilesystemViolations,
    resourceViolations,
    serviceAccountTokenViolations,
    StackResource,
    stackRules,
    stackViolations,
    types,
    dataTypes,
} from "../policy/rules";
import { UNKNOWN_PLACEHOLDER } from "../tools/render/values";
import { RenderedStack, renderToTemp } from "./support/render-helper";

/**
 * The CrossGuard pack of policy/ in three layers:
 *  1. the pure rules over the real dev and prod renders (manifests, and resources.json inputs as the pack receives them);
 *  2. hand-made bad objects, each yielding its specific violation;
 *  3. when `npm ci --prefix policy` has been run: the pack typechecks, and Pulumi's own policy host
 *     (@pulumi/pulumi/cmd/run-policy-pack, what `pulumi preview --policy-pack` starts) loads it and answers
 *     Analyze / AnalyzeStack over gRPC.
 */

const REPO_ROOT = path.resolve(__dirname, "..");
const POLICY_DIR = path.join(REPO_ROOT, "policy");
const run = promisify(execFile);

type Struct = NonNullable<Parameters<analyzerPb.AnalyzeRequest["setProperties"]>[0]>;

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** `apps/v1` + `Deployment` -> `kubernetes:apps/v1:Deployment`; core objects (`v1`) live under `core/v1`. */
function typeOfManifest(m: K8sObject): string {
    const apiVersion: string = m.apiVersion;
    return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${m.kind}`;
}

/** A preview render's "[unknown]" placeholders back to the engine's unknown sentinel, as the analyzer receives them. */
function withEngineUnknowns(value: unknown): K8sObject {
    const walk = (v: unknown): unknown =>
        v === UNKNOWN_PLACEHOLDER
            ? pulumi.runtime.unknownValue
            : Array.isArray(v)
              ? v.map(walk)
              : v !== null && typeof v === "object"
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
                : v;
    return walk(value) as K8sObject;
}

const stackResources = (stack: RenderedStack): StackResource[] =>
    stack.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, protect: r.protect, props: r.inputs as K8sObject }));

// ---------------------------------------------------------------------------------------------
// A hand-made compliant Deployment, Service, ServiceAccount, Namespace: mutated by the negative cases.
// ---------------------------------------------------------------------------------------------

const DIGEST = `sha256:${"ab".repeat(32)}`;
const probe = (path: string) => ({ httpGet: { path, port: 3000 }, periodSeconds: 10 });
const sized = { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" };
const hardened = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 10001,
    seccompProfile: { type: "RuntimeDefault" },
};

function goodDeployment(): K8sObject {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "shop" },
        spec: {
            selector: { matchLabels: { app: "web" } },
            template: {
                metadata: { labels: { app: "web" } },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name: "web",
                            image: `registry.example.com/nsip/web@${DIGEST}`,
                            ports: [
                                { name: "http", containerPort: 3000 },
                                { name: "metrics", containerPort: 9400 },
                            ],
                            readinessProbe: probe("/ready"),
                            livenessProbe: probe("/health"),
                            resources: { requests: { ...sized }, limits: { ...sized } },
                            securityContext: { ...hardened },
                        },
                        {
                            name: "exporter",
                            image: "quay.io/prometheuscommunity/postgres-exporter:v0.20.1",
                            readinessProbe: { tcpSocket: { port: 9187 } },
                            livenessProbe: { httpGet: { path: "/", port: 9187 } },
                            resources: { requests: { ...sized }, limits: { ...sized } },
                            securityContext: { ...hardened },
                        },
                    ],
                },
            },
        },
    };
}

const web = (d: K8sObject): K8sObject => d.spec.template.spec.containers[0];
const exporter = (d: K8sObject): K8sObject => d.spec.template.spec.containers[1];

function goodJob(): K8sObject {
    const d = goodDeployment();
    const container = clone(web(d));
    delete container.readinessProbe;
    delete container.livenessProbe;
    return { apiVersion: "batch/v1", kind: "Job", metadata: { name: "migrate", namespace: "shop" }, spec: { template: { spec: { ...d.spec.template.spec, restartPolicy: "Never", containers: [container] } } } };
}

function loadBalancer(ports: K8sObject[]): K8sObject {
    return { apiVersion: "v1", kind: "Service", metadata: { name: "web-public", namespace: "shop" }, spec: { type: "LoadBalancer", selector: { app: "web" }, ports } };
}

function resource(type: string, name: string, props: K8sObject, protect = false): StackResource {
    return { type, name, urn: `urn:pulumi:prod::nsip::${type}::${name}`, protect, props };
}

const restrictedNamespace = (): StackResource =>
    resource(types.Namespace, "shop", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
const defaultDeny = (namespace = "shop"): StackResource =>
    resource(types.NetworkPolicy, `${namespace}-default-deny`, {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "default-deny", namespace },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });

const rulesOf = (found: { rule: string }[]) => [...new Set(found.map((f) => f.rule))].sort();

describe("policy pack: the hardening rules (policy/)", function () {
    this.timeout(180_000);

    it("the type tokens the rules match on are the SDKs' own", () => {
        const tokenOf = (cls: unknown) => (cls as { __pulumiType: string }).__pulumiType;
        assert.deepEqual(
            {
                Deployment: tokenOf(k8s.apps.v1.Deployment),
                StatefulSet: tokenOf(k8s.apps.v1.StatefulSet),
                DaemonSet: tokenOf(k8s.apps.v1.DaemonSet),
                Job: tokenOf(k8s.batch.v1.Job),
                CronJob: tokenOf(k8s.batch.v1.CronJob),
                Pod: tokenOf(k8s.core.v1.Pod),
                ServiceAccount: tokenOf(k8s.core.v1.ServiceAccount),
                Service: tokenOf(k8s.core.v1.Service),
                Namespace: tokenOf(k8s.core.v1.Namespace),
                NetworkPolicy: tokenOf(k8s.networking.v1.NetworkPolicy),
                PersistentVolumeClaim: tokenOf(k8s.core.v1.PersistentVolumeClaim),
                KmsKey: tokenOf(aws.kms.Key),
                EcrRepository: tokenOf(aws.ecr.Repository),
                LogGroup: tokenOf(aws.cloudwatch.LogGroup),
                S3Bucket: tokenOf(aws.s3.Bucket),
            },
            { ...types },
        );
    });

    for (const stackName of ["dev", "prod"]) {
        describe(`${stackName}: the real render has no violation`, () => {
            it("every object rule, on every manifest of manifests/", async () => {
                const stack = await renderToTemp(stackName);
                const manifests = Object.values(stack.manifests) as K8sObject[];
                const found = manifests.flatMap((m) => objectViolations(typeOfManifest(m), m));
                assert.deepEqual(found, []);
                // The rules did look at what matters: every workload kind, every ServiceAccount, the namespace.
                const checked = manifests.filter((m) => objectRules.some((r) => r.types.includes(typeOfManifest(m))));
                const kinds = [...new Set(checked.map((m) => m.kind))].sort();
                // Both run the PostgreSQL backup CronJob and kube-state-metrics; prod also the Cluster Autoscaler. Each has its own ServiceAccount.
                const prod = stackName === "prod";
                assert.deepEqual(kinds, ["CronJob", "Deployment", "Job", "Namespace", "ServiceAccount", "StatefulSet"]);
                assert.equal(checked.filter((m) => m.kind === "ServiceAccount").length, prod ? 14 : 13);
            });

            it("every object rule, on every resource's inputs in resources.json (what the pack is sent)", async () => {
                const stack = await renderToTemp(stackName);
                const found = stack.resources.flatMap((r) => objectViolations(r.type, r.inputs as K8sObject).map((v) => `${r.urn}: ${v.message}`));
                assert.deepEqual(found, []);
                const workloads = stack.resources.filter((r) => [types.Deployment, types.StatefulSet, types.Job, types.CronJob].includes(r.type as never));
                if (stackName === "prod") assert.equal(workloads.length, 14, "7 Deployments (kube-state-metrics and the Cluster Autoscaler among them), 3 StatefulSets, the migration Job, the backup CronJob, the restore and health-probe templates");
                else assert.equal(workloads.length, 13, "6 Deployments (kube-state-metrics included), 3 StatefulSets, the migration Job, the backup CronJob, the restore and health-probe templates");
            });
        });
    }

    it("prod: the stack rules pass, the prod-only ones included (decided by the restricted namespace)", async () => {
        const resources = stackResources(await renderToTemp("prod"));
        assert.equal(isProdStack(resources), true);
        assert.deepEqual(stackViolations(resources), []);
        // What the prod-only rule looked at: 4 PVCs (the restore's safety dumps among them), the KMS key, 3 ECR repositories, 6 log groups (control plane,
        // VPC flow logs, Container Insights' four), the backup bucket.
        const data = resources.filter((r) => dataTypes.includes(r.type));
        assert.equal(data.length, 15);
        assert.ok(resources.some((r) => r.type === types.Service && r.props.spec?.type === "LoadBalancer"), "the LB rule saw the edge Service");
    });

    it("dev: the stack rules pass; only the prod-only rule would fail (dev protects no data)", async () => {
        const resources = stackResources(await renderToTemp("dev"));
        assert.equal(isProdStack(resources), false, "dev enforces baseline");
        assert.deepEqual(stackViolations(resources), []);
        const forced = stackViolations(resources, { environment: "prod" });
        assert.deepEqual(rulesOf(forced), ["prod-data-protected"]);
        assert.deepEqual(forced.map((v) => v.message).sort(), [
            "kubernetes:core/v1:PersistentVolumeClaim nsip-postgres-backup-claim: the protect resource option must be set on data in prod",
            "kubernetes:core/v1:PersistentVolumeClaim nsip-postgres-data: the protect resource option must be set on data in prod",
            "kubernetes:core/v1:PersistentVolumeClaim nsip-postgres-restore-safety-claim: the protect resource option must be set on data in prod",
            "kubernetes:core/v1:PersistentVolumeClaim nsip-prometheus-data: the protect resource option must be set on data in prod",
            "kubernetes:core/v1:PersistentVolumeClaim nsip-redis-data: the protect resource option must be set on data in prod",
        ]);
        assert.ok(forced.every((v) => v.urn?.startsWith("urn:pulumi:dev::nsip::")));
    });

    describe("hand-made bad objects yield their specific violation", () => {
        it("the hand-made baseline is clean (so each case below fails for its one mutation)", () => {
            for (const obj of [goodDeployment(), goodJob()]) assert.deepEqual(objectViolations(typeOfManifest(obj), obj), []);
            assert.deepEqual(loadBalancerMetricsViolations(loadBalancer([{ name: "http", port: 80, targetPort: 3000 }]), [goodDeployment()]), []);
            assert.deepEqual(stackViolations([restrictedNamespace(), defaultDeny(), resource(types.Deployment, "web", goodDeployment())]), []);
        });

        it("privileged container, privilege escalation, hostPath, root user: Pod Security restricted", () => {
            const d = goodDeployment();
            web(d).securityContext.privileged = true;
            assert.deepEqual(podSecurityViolations(d), ["Deployment shop/web: spec.template.spec: container web: privileged: must be unset or false"]);
            const e = goodDeployment();
            delete exporter(e).securityContext.allowPrivilegeEscalation;
            e.spec.template.spec.volumes = [{ name: "host", hostPath: { path: "/" } }];
            exporter(e).securityContext.runAsUser = 0;
            assert.deepEqual(podSecurityViolations(e).sort(), [
                "Deployment shop/web: spec.template.spec: container exporter: privilege escalation: allowPrivilegeEscalation must be false",
                "Deployment shop/web: spec.template.spec: container exporter: running as non-root user: runAsUser must not be 0",
                "Deployment shop/web: spec.template.spec: pod: hostPath volumes: volume host is a hostPath",
                "Deployment shop/web: spec.template.spec: pod: volume types: volume host has type hostPath",
            ]);
            const c = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "nightly", namespace: "shop" }, spec: { jobTemplate: { spec: goodJob().spec } } };
            c.spec.jobTemplate.spec.template.spec.hostNetwork = true;
            assert.deepEqual(podSecurityViolations(c), ["CronJob shop/nightly: spec.jobTemplate.spec.template.spec: pod: host namespaces: hostNetwork/hostPID/hostIPC must be unset or false"]);
        });

        it("a writable root filesystem", () => {
            const d = goodDeployment();
            exporter(d).securityContext.readOnlyRootFilesystem = false;
            assert.deepEqual(readOnlyRootFilesystemViolations(d), ["Deployment shop/web: spec.template.spec.containers[exporter].securityContext.readOnlyRootFilesystem must be true (found false)"]);
            const j = goodJob();
            j.spec.template.spec.initContainers = [{ ...clone(j.spec.template.spec.containers[0]), name: "wait", securityContext: { ...hardened, readOnlyRootFilesystem: undefined } }];
            assert.deepEqual(readOnlyRootFilesystemViolations(j), ["Job shop/migrate: spec.template.spec.initContainers[wait].securityContext.readOnlyRootFilesystem must be true (found unset)"]);
        });

        it("missing limits, and a missing ephemeral-storage request", () => {
            const d = goodDeployment();
            delete web(d).resources.limits;
            delete exporter(d).resources.requests["ephemeral-storage"];
            assert.deepEqual(resourceViolations(d), [
                "Deployment shop/web: spec.template.spec.containers[web].resources.limits.cpu is not set",
                "Deployment shop/web: spec.template.spec.containers[web].resources.limits.memory is not set",
                "Deployment shop/web: spec.template.spec.containers[web].resources.limits.ephemeral-storage is not set",
                "Deployment shop/web: spec.template.spec.containers[exporter].resources.requests.ephemeral-storage is not set",
            ]);
        });

        it("missing probes, and liveness identical to readiness; Jobs need none, sidecars do", () => {
            const d = goodDeployment();
            delete web(d).readinessProbe;
            exporter(d).livenessProbe = { tcpSocket: { port: 9187 } };
            assert.deepEqual(probeViolations(d), [
                "Deployment shop/web: spec.template.spec.containers[web].readinessProbe is not set",
                "Deployment shop/web: spec.template.spec.containers[exporter].livenessProbe is identical to readinessProbe: a liveness check must not restart pods that are merely not ready",
            ]);
            assert.deepEqual(probeViolations(goodJob()), []);
            const s = goodDeployment();
            s.spec.template.spec.initContainers = [{ ...clone(exporter(s)), name: "proxy", restartPolicy: "Always", livenessProbe: undefined }];
            assert.deepEqual(probeViolations(s), ["Deployment shop/web: spec.template.spec.initContainers[proxy].livenessProbe is not set"]);
        });

        it("a mounted service-account token, except for prometheus", () => {
            const d = goodDeployment();
            delete d.spec.template.spec.automountServiceAccountToken;
            assert.deepEqual(serviceAccountTokenViolations(d), ["Deployment shop/web: spec.template.spec.automountServiceAccountToken must be false (found unset); only prometheus, cluster-autoscaler, and kube-state-metrics get a token"]);
            const sa = (name: string) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: "shop" }, automountServiceAccountToken: true });
            assert.deepEqual(serviceAccountTokenViolations(sa("web")), ["ServiceAccount shop/web: automountServiceAccountToken must be false (found true); only prometheus, cluster-autoscaler, and kube-state-metrics get a token"]);
            assert.deepEqual(serviceAccountTokenViolations(sa("prometheus")), []);
            const p = goodDeployment();
            p.metadata.name = "prometheus";
            p.spec.template.spec.automountServiceAccountToken = true;
            assert.deepEqual(serviceAccountTokenViolations(p), []);
        });

        it("a :latest or untagged third-party image; an application image by tag", () => {
            const d = goodDeployment();
            exporter(d).image = "redis:latest";
            web(d).image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/nsip/api:0.1.0";
            assert.deepEqual(imageViolations(d), [
                "Deployment shop/web: spec.template.spec.containers[web].image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/nsip/api:0.1.0 is an application image and must be referenced by digest (@sha256:<64 hex>)",
                "Deployment shop/web: spec.template.spec.containers[exporter].image redis:latest uses the moving tag :latest; pin a version tag",
            ]);
            exporter(d).image = "localhost:5001/postgres";
            web(d).image = "localhost:5001/nsip/api:5001";
            assert.deepEqual(imageViolations(d), [
                "Deployment shop/web: spec.template.spec.containers[web].image localhost:5001/nsip/api:5001 is an application image and must be referenced by digest (@sha256:<64 hex>)",
                "Deployment shop/web: spec.template.spec.containers[exporter].image localhost:5001/postgres has no tag, which means :latest; pin a version tag",
            ]);
            exporter(d).image = `postgres@${DIGEST}`;
            web(d).image = `nsip/api@${DIGEST}`;
            assert.deepEqual(imageViolations(d), [], "a third-party digest is a pin too; a registry-less nsip/ path is an application image");
            assert.deepEqual(parseImage("localhost:5001/nsip/api:1.2@sha256:x"), { repository: "localhost:5001/nsip/api", tag: "1.2", digest: "sha256:x" });
        });

        it("a LoadBalancer exposing 9100, the port named metrics, or a pod port named metrics", () => {
            assert.deepEqual(loadBalancerMetricsViolations(loadBalancer([{ name: "http", port: 80, targetPort: 3000 }, { name: "node", port: 9100 }]), [goodDeployment()]), [
                'Service shop/web-public: spec.ports[node].targetPort 9100 is a metrics port (9100, 9113, 9121, 9187); metrics are never served through a load balancer',
            ]);
            assert.deepEqual(loadBalancerMetricsViolations(loadBalancer([{ name: "m", port: 80, targetPort: "metrics" }])), [
                'Service shop/web-public: spec.ports[m].targetPort "metrics" is the port named "metrics"; metrics are never served through a load balancer',
            ]);
            assert.deepEqual(loadBalancerMetricsViolations(loadBalancer([{ name: "scrape", port: 443, targetPort: 9400 }]), [goodDeployment()]), [
                'Service shop/web-public: spec.ports[scrape].targetPort 9400 is the pods\' port named "metrics"; metrics are never served through a load balancer',
            ]);
            const clusterIp = loadBalancer([{ name: "metrics", port: 9100 }]);
            clusterIp.spec.type = "ClusterIP";
            assert.deepEqual(loadBalancerMetricsViolations(clusterIp), [], "in-cluster Services may carry metrics");
        });

        it("a namespace without the Pod Security enforce label", () => {
            assert.deepEqual(namespaceViolations({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { "pod-security.kubernetes.io/warn": "restricted" } } }), [
                'Namespace shop: metadata.labels["pod-security.kubernetes.io/enforce"] is not set',
            ]);
            assert.deepEqual(namespaceViolations({ kind: "Namespace", metadata: { name: "shop", labels: { "pod-security.kubernetes.io/enforce": "strict" } } }), [
                'Namespace shop: metadata.labels["pod-security.kubernetes.io/enforce"] is "strict", expected one of privileged, baseline, restricted',
            ]);
        });

        it("prod: a PVC (or KMS key, ECR repository, log group) without protect", () => {
            const pvc = resource(types.PersistentVolumeClaim, "shop-data", { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data", namespace: "shop" } });
            const key = resource(types.KmsKey, "shop-key", {}, true);
            const stack = [restrictedNamespace(), defaultDeny(), pvc, key, resource(types.LogGroup, "shop-logs", {})];
            assert.deepEqual(stackViolations(stack), [
                { rule: "prod-data-protected", urn: pvc.urn, message: "kubernetes:core/v1:PersistentVolumeClaim shop-data: the protect resource option must be set on data in prod" },
                { rule: "prod-data-protected", urn: "urn:pulumi:prod::nsip::aws:cloudwatch/logGroup:LogGroup::shop-logs", message: "aws:cloudwatch/logGroup:LogGroup shop-logs: the protect resource option must be set on data in prod" },
            ]);
            assert.equal(dataProtectionViolations([{ ...pvc, protect: true }]).length, 0);
            const baseline = clone(restrictedNamespace());
            baseline.props.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline";
            assert.deepEqual(stackViolations([baseline, defaultDeny(), pvc]), [], "not prod: the rule does not apply");
            assert.equal(stackViolations([baseline, defaultDeny(), pvc], { environment: "prod" }).length, 1, "pack config environment: prod");
        });

        it("no default deny: missing, or a policy that allows something, does not count", () => {
            const ns = restrictedNamespace();
            assert.deepEqual(defaultDenyViolations([ns]), [
                { urn: ns.urn, message: "namespace shop has no default-deny NetworkPolicy (spec.podSelector {}, spec.policyTypes [Ingress, Egress], no ingress or egress rules)" },
            ]);
            const allowing = defaultDeny();
            allowing.props.spec.egress = [{ to: [{ namespaceSelector: {} }] }];
            const ingressOnly = defaultDeny();
            ingressOnly.props.spec.policyTypes = ["Ingress"];
            const selective = defaultDeny();
            selective.props.spec.podSelector = { matchLabels: { app: "web" } };
            for (const np of [allowing, ingressOnly, selective, defaultDeny("elsewhere")]) assert.equal(defaultDenyViolations([ns, np]).length, 1, JSON.stringify(np.props));
            const workloadElsewhere = resource(types.Deployment, "web", { ...goodDeployment(), metadata: { name: "web", namespace: "other" } });
            assert.deepEqual(
                defaultDenyViolations([ns, defaultDeny(), workloadElsewhere]).map((v) => v.message),
                ["namespace other has no default-deny NetworkPolicy (spec.podSelector {}, spec.policyTypes [Ingress, Egress], no ingress or egress rules)"],
                "a namespace the stack only deploys into counts too",
            );
        });

        it("on the real prod render: dropping the default deny, or protect on a PVC, is caught with the resource's URN", async () => {
            const resources = stackResources(await renderToTemp("prod"));
            const withoutDeny = resources.filter((r) => !(r.type === types.NetworkPolicy && r.props.metadata?.name === "default-deny"));
            assert.equal(withoutDeny.length, resources.length - 1);
            assert.deepEqual(stackViolations(withoutDeny).map((v) => [v.rule, v.urn]), [["default-deny-network-policy", "urn:pulumi:prod::nsip::nsip:platform:Platform$kubernetes:core/v1:Namespace::nsip-namespace"]]);
            const unprotected = resources.map((r) => (r.name === "nsip-postgres-data" ? { ...r, protect: false } : r));
            assert.deepEqual(stackViolations(unprotected).map((v) => v.urn), [resources.find((r) => r.name === "nsip-postgres-data")!.urn]);
        });
    });

    it("policy/package.json pins exactly, shares @pulumi/pulumi with the root, and its lockfile agrees", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8"));
        const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
        const lock = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package-lock.json"), "utf8"));
        const deps: Record<string, string> = { ...pkg.dependencies, ...pkg.devDependencies };
        for (const [name, version] of Object.entries(deps)) {
            assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly`);
            assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `lockfile has ${name}@${version}`);
        }
        assert.equal(deps["@pulumi/policy"], "1.21.0");
        assert.equal(deps["@pulumi/pulumi"], root.dependencies["@pulumi/pulumi"]);
        assert.equal(deps["typescript"], root.devDependencies["typescript"], "the policy host compiles the pack with this TypeScript");
        assert.equal(pkg.main, "index.ts");
        assert.match(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
    });

    it("policy/rules.ts and pod-security.ts stay pure: no @pulumi import, so the root suite can run them", () => {
        for (const file of ["rules.ts", "pod-security.ts"]) {
            assert.doesNotMatch(fs.readFileSync(path.join(POLICY_DIR, file), "utf8"), /from\s+["']@pulumi\//, file);
        }
    });

    {
        describe("the pack itself, loaded by Pulumi's policy host", () => {
            let host: PolicyHost;
            before(async () => {
                const installed = fs.existsSync(path.join(POLICY_DIR, "node_modules", "@pulumi", "policy", "package.json"));
                assert.ok(installed, "policy/node_modules is missing: run `npm ci --prefix policy` (tools/test-all.sh does)");
                host = await PolicyHost.start();
            });
            after(() => host?.stop());

            it("typechecks with tsc -p policy/tsconfig.json (strict)", async () => {
                const tsc = path.join(POLICY_DIR, "node_modules", ".bin", "tsc");
                await run(tsc, ["-p", path.join(POLICY_DIR, "tsconfig.json"), "--noEmit"], { cwd: POLICY_DIR }).catch((e: { stdout?: string }) => assert.fail(`tsc failed:\n${e.stdout}`));
            });

            it("Pulumi's policy host loads it and lists every policy as mandatory", async () => {
                const info = await host.info();
                assert.equal(info.getName(), "nsip-hardening");
                assert.equal(info.getVersion(), "0.1.0");
                const listed = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
                assert.deepEqual(listed, [...objectRules, ...stackRules].map((r) => [r.name, host.pb.EnforcementLevel.MANDATORY]));
                const prodOnly = info.getPoliciesList().find((p) => p.getName() === "prod-data-protected")!;
                assert.deepEqual(Object.keys(prodOnly.getConfigschema()!.getProperties()!.toJavaScript()), ["environment"]);
            });

            it("Analyze: a bad Deployment gets one mandatory diagnostic per violation; prod's resources get none", async () => {
                const bad = goodDeployment();
                web(bad).securityContext.privileged = true;
                web(bad).image = "registry.example.com/nsip/web:1.0";
                delete exporter(bad).resources.limits.cpu;
                const diagnostics = await host.analyze(resource(types.Deployment, "web", bad));
                // The policy SDK reports "<policy description>\n<our message>".
                const expected = (rule: string, message: string) => [rule, host.pb.EnforcementLevel.MANDATORY, `${objectRules.find((r) => r.name === rule)!.description}\n${message}`];
                assert.deepEqual(
                    diagnostics.map((d) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage()]),
                    [
                        expected("pod-security-restricted", "Deployment shop/web: spec.template.spec: container web: privileged: must be unset or false"),
                        expected("resource-requests-and-limits", "Deployment shop/web: spec.template.spec.containers[exporter].resources.limits.cpu is not set"),
                        expected(
                            "pinned-images",
                            "Deployment shop/web: spec.template.spec.containers[web].image registry.example.com/nsip/web:1.0 is an application image and must be referenced by digest (@sha256:<64 hex>)",
                        ),
                    ],
                );
                const prod = stackResources(await renderToTemp("prod"));
                const found = (await Promise.all(prod.map((r) => host.analyze(r)))).flat().map((d) => d.getMessage());
                assert.deepEqual(found, []);
            });

            it("preview with unknown image digests: nothing mandatory; only pinned-images waits for the digests (advisory)", async () => {
                const preview = stackResources(await renderToTemp("prod", { preview: true })).map((r) => ({ ...r, props: withEngineUnknowns(r.props) }));
                const unknownImages = preview.filter((r) => JSON.stringify(r.props).includes(`"image":"${pulumi.runtime.unknownValue}"`)).map((r) => r.name);
                // The health probe runs the api image, so its template waits for the api's digest too.
                assert.deepEqual(unknownImages.sort(), ["nsip-analyzer-deployment", "nsip-api-deployment", "nsip-frontend-deployment", "nsip-health-probe-template", "nsip-migrations-job"]);
                const found = (await Promise.all(preview.map(async (r) => (await host.analyze(r)).map((d) => ({ name: r.name, d }))))).flat();
                assert.deepEqual(
                    found.map(({ name, d }) => [name, d.getPolicyname(), d.getEnforcementlevel()]).sort(),
                    unknownImages.map((name) => [name, "pinned-images", host.pb.EnforcementLevel.ADVISORY]).sort(),
                );
                for (const { d } of found) assert.match(d.getMessage(), /can't run policy 'pinned-images' .* during preview/);
                assert.deepEqual((await host.analyzeStack(preview)).map((d) => d.getMessage()), []);
            });

            it("AnalyzeStack: prod passes; without protect or default deny it fails with the URN; pack config makes dev prod", async () => {
                const prod = stackResources(await renderToTemp("prod"));
                assert.deepEqual((await host.analyzeStack(prod)).map((d) => d.getMessage()), []);
                const broken = prod
                    .filter((r) => !(r.type === types.NetworkPolicy && r.props.metadata?.name === "default-deny"))
                    .map((r) => (r.type === types.KmsKey ? { ...r, protect: false } : r));
                assert.deepEqual(
                    (await host.analyzeStack(broken)).map((d) => [d.getPolicyname(), d.getUrn()]),
                    [
                        ["default-deny-network-policy", "urn:pulumi:prod::nsip::nsip:platform:Platform$kubernetes:core/v1:Namespace::nsip-namespace"],
                        ["prod-data-protected", "urn:pulumi:prod::nsip::nsip:cluster:EksCluster$aws:kms/key:Key::nsip-secrets"],
                    ],
                );
                const dev = stackResources(await renderToTemp("dev"));
                assert.deepEqual(await host.analyzeStack(dev), []);
                await host.configure({ "prod-data-protected": { environment: "prod" } });
                try {
                    assert.deepEqual((await host.analyzeStack(dev)).map((d) => d.getPolicyname()), Array(5).fill("prod-data-protected"), "the five PVCs");
                } finally {
                    await host.configure({});
                }
            });
        });
    }
});

/**
 * Runs policy/ the way `pulumi preview --policy-pack policy` does: `node @pulumi/pulumi/cmd/run-policy-pack
 * <engine> <pack dir>` in the pack's directory (TypeScript compiled and typechecked by the host's ts-node), which
 * prints the port of its Analyzer gRPC server. Everything is loaded from policy/node_modules, as the host uses it.
 */
class PolicyHost {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: AnalyzerClient,
        readonly pb: typeof analyzerPb,
        private readonly struct: { fromJavaScript(value: Record<string, unknown>): Struct },
    ) {}

    static async start(): Promise<PolicyHost> {
        const packRequire = createRequire(path.join(POLICY_DIR, "package.json"));
        const pulumiRequire = createRequire(packRequire.resolve("@pulumi/pulumi/package.json"));
        const grpc = pulumiRequire("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
        const pb = pulumiRequire("./proto/analyzer_pb") as typeof analyzerPb;
        const rpc = pulumiRequire("./proto/analyzer_grpc_pb") as { AnalyzerClient: new (address: string, credentials: unknown) => AnalyzerClient };
        const struct = pulumiRequire("google-protobuf/google/protobuf/struct_pb").Struct;
        const hostScript = path.join(path.dirname(packRequire.resolve("@pulumi/pulumi/package.json")), "cmd", "run-policy-pack");
        const child = spawn(process.execPath, [hostScript, "127.0.0.1:0", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            let err = "";
            child.stdout!.on("data", (chunk: Buffer) => {
                out += chunk.toString();
                const line = /^(\d+)\s*$/m.exec(out);
                if (line) resolve(Number(line[1]));
            });
            child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
            child.on("exit", (code) => reject(new Error(`policy host exited ${code} before serving:\n${out}\n${err}`)));
        });
        return new PolicyHost(child, new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()), pb, struct);
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }

    private call<Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
        return new Promise((resolve, reject) => method.call(this.client, req, (e, r) => (e ? reject(e) : resolve(r))));
    }

    async info(): Promise<analyzerPb.AnalyzerInfo> {
        const packRequire = createRequire(path.join(POLICY_DIR, "package.json"));
        const pulumiRequire = createRequire(packRequire.resolve("@pulumi/pulumi/package.json"));
        const { Empty } = pulumiRequire("google-protobuf/google/protobuf/empty_pb");
        return this.call(this.client.getAnalyzerInfo as never, new Empty());
    }

    private options(r: StackResource): analyzerPb.AnalyzerResourceOptions {
        return new this.pb.AnalyzerResourceOptions().setProtect(r.protect);
    }

    async analyze(r: StackResource): Promise<analyzerPb.AnalyzeDiagnostic[]> {
        const req = new this.pb.AnalyzeRequest().setType(r.type).setName(r.name).setUrn(r.urn).setProperties(this.struct.fromJavaScript(r.props)).setOptions(this.options(r));
        const res = await this.call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(this.client.analyze as never, req);
        return res.getDiagnosticsList();
    }

    async analyzeStack(resources: StackResource[]): Promise<analyzerPb.AnalyzeDiagnostic[]> {
        const req = new this.pb.AnalyzeStackRequest().setResourcesList(
            resources.map((r) => new this.pb.AnalyzerResource().setType(r.type).setName(r.name).setUrn(r.urn).setProperties(this.struct.fromJavaScript(r.props)).setOptions(this.options(r))),
        );
        const res = await this.call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(this.client.analyzeStack as never, req);
        return res.getDiagnosticsList();
    }

    async configure(config: Record<string, Record<string, unknown>>): Promise<void> {
        const req = new this.pb.ConfigureAnalyzerRequest();
        for (const [policy, props] of Object.entries(config)) {
            req.getPolicyconfigMap().set(policy, new this.pb.PolicyConfig().setEnforcementlevel(this.pb.EnforcementLevel.MANDATORY).setProperties(this.struct.fromJavaScript(props)));
        }
        await this.call(this.client.configure as never, req);
    }
}
