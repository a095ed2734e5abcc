import { strict as assert } from "assert";
import { NO_CHANGES, renderMarkdown } from "../tools/diff/markdown";
import { planStack, RenderFiles, ResourceChange } from "../tools/diff/plan";
import type { ResourceRecord } from "../tools/render/recorder";
import type { JsonObject } from "../tools/render/values";

/** Small synthetic renders: the plan and the Markdown, without running the program. */

const STACK = "urn:pulumi:dev::nsip::pulumi:pulumi:Stack::nsip-dev";
const K8S_PROVIDER = "urn:pulumi:dev::nsip::pulumi:providers:kubernetes::k8s";

function resource(type: string, name: string, inputs: JsonObject, options: Partial<ResourceRecord> = {}): ResourceRecord {
    return {
        urn: `urn:pulumi:dev::nsip::${type}::${name}`,
        type,
        name,
        custom: true,
        parent: STACK,
        provider: type.startsWith("kubernetes:") ? K8S_PROVIDER : null,
        protect: false,
        retainOnDelete: false,
        dependencies: [],
        inputs,
        ...options,
    };
}

function kubernetes(groupVersion: string, kind: string, name: string, rest: JsonObject, metadata: JsonObject = {}): ResourceRecord {
    const apiVersion = groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion;
    return resource(`kubernetes:${groupVersion}:${kind}`, name, { apiVersion, kind, metadata: { name, namespace: "nsip", ...metadata }, ...rest });
}

/** The provider as index.ts configures it: ConfigMaps and Secrets updated in place. */
const mutableProvider = resource("pulumi:providers:kubernetes", "k8s", { enableConfigMapMutable: "true", enableSecretMutable: "true", kubeconfig: "[secret]" });
const defaultProvider = resource("pulumi:providers:kubernetes", "k8s", { kubeconfig: "[secret]" });

function render(resources: ResourceRecord[], outputs: RenderFiles["outputs"] = {}, provider = mutableProvider): RenderFiles {
    return { resources: [provider, ...resources], outputs };
}

/** The one change between two single-resource renders. */
function change(before: ResourceRecord, after: ResourceRecord, provider = mutableProvider): ResourceChange {
    const plan = planStack(render([before], {}, provider), render([after], {}, provider));
    assert.equal(plan.changes.length, 1, `expected one change, got ${JSON.stringify(plan.changes.map((c) => [c.action, c.title]))}`);
    return plan.changes[0];
}

function assertReplaced(result: ResourceChange, ...fields: string[]): void {
    assert.equal(result.action, "replace", `${result.title}: expected a replacement, got ${result.action} of ${result.changedFields.join(", ")}`);
    assert.deepEqual(result.replaceReasons, fields.map((field) => `\`${field}\``));
}

function assertUpdated(result: ResourceChange, ...fields: string[]): void {
    assert.equal(result.action, "update", `${result.title}: expected an in-place update, got ${result.action} because ${result.replaceReasons.join(", ")}`);
    assert.deepEqual(result.changedFields, fields);
}

const podTemplate = (image: string): JsonObject => ({ metadata: { labels: { app: "api" } }, spec: { containers: [{ name: "api", image }] } });

describe("offline plan: what changes and what is replaced", () => {
    describe("Kubernetes objects (pulumi-kubernetes' force-new fields)", () => {
        const statefulSet = (spec: JsonObject): ResourceRecord =>
            kubernetes("apps/v1", "StatefulSet", "postgres", {
                spec: { replicas: 1, selector: { matchLabels: { app: "postgres" } }, serviceName: "postgres", template: podTemplate("postgres:17"), ...spec },
            });

        it("replaces a StatefulSet whose selector, serviceName or volumeClaimTemplates change", () => {
            assertReplaced(change(statefulSet({}), statefulSet({ selector: { matchLabels: { app: "db" } } })), "spec.selector");
            assertReplaced(change(statefulSet({}), statefulSet({ serviceName: "postgres-headless" })), "spec.serviceName");
            const claim = { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } };
            assertReplaced(change(statefulSet({}), statefulSet({ volumeClaimTemplates: [claim] })), "spec.volumeClaimTemplates");
        });

        it("updates a StatefulSet's replicas and pod template in place", () => {
            assertUpdated(change(statefulSet({}), statefulSet({ replicas: 2 })), "spec.replicas");
            assertUpdated(change(statefulSet({}), statefulSet({ template: podTemplate("postgres:18") })), "spec.template.spec.containers[0].image");
        });

        it("replaces a PersistentVolumeClaim whose storage class or access modes change, resizes it in place", () => {
            const claim = (spec: JsonObject): ResourceRecord =>
                kubernetes("core/v1", "PersistentVolumeClaim", "data", { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec } });
            assertReplaced(change(claim({}), claim({ storageClassName: "gp3-encrypted" })), "spec.storageClassName");
            assertReplaced(change(claim({}), claim({ accessModes: ["ReadWriteMany"] })), "spec.accessModes");
            assertUpdated(change(claim({}), claim({ resources: { requests: { storage: "2Gi" } } })), "spec.resources.requests.storage");
        });

        it("replaces a Job whose pod template changes", () => {
            const job = (image: string): ResourceRecord => kubernetes("batch/v1", "Job", "migrations", { spec: { backoffLimit: 2, template: podTemplate(image) } });
            assertReplaced(change(job("api@sha256:1"), job("api@sha256:2")), "spec.template");
        });

        it("replaces a Deployment whose selector changes, updates the rest in place", () => {
            const deployment = (app: string, replicas: number): ResourceRecord =>
                kubernetes("apps/v1", "Deployment", "api", { spec: { replicas, selector: { matchLabels: { app } }, template: podTemplate("api:1") } });
            assertReplaced(change(deployment("api", 1), deployment("backend", 1)), "spec.selector");
            assertUpdated(change(deployment("api", 1), deployment("api", 3)), "spec.replicas");
        });

        it("replaces a Service whose clusterIP changes (headless or not); a type change is in place", () => {
            const service = (spec: JsonObject): ResourceRecord =>
                kubernetes("core/v1", "Service", "postgres", { spec: { ports: [{ name: "sql", port: 5432 }], selector: { app: "postgres" }, ...spec } });
            assertReplaced(change(service({}), service({ clusterIP: "None" })), "spec.clusterIP");
            assertUpdated(change(service({ type: "ClusterIP" }), service({ type: "LoadBalancer" })), "spec.type");
        });

        it("replaces any object whose name or namespace changes", () => {
            const account = (namespace: string): ResourceRecord => ({
                ...kubernetes("core/v1", "ServiceAccount", "api", { automountServiceAccountToken: false }, { namespace }),
                urn: "urn:pulumi:dev::nsip::kubernetes:core/v1:ServiceAccount::api",
            });
            assertReplaced(change(account("nsip"), account("nsip-review")), "metadata.namespace");
        });

        it("updates ConfigMaps and Secrets in place with our provider, replaces them with the default one or when immutable", () => {
            const configMap = (level: string, extra: JsonObject = {}): ResourceRecord => kubernetes("core/v1", "ConfigMap", "api-env", { data: { LOG_LEVEL: level }, ...extra });
            assertUpdated(change(configMap("debug"), configMap("info")), "data.LOG_LEVEL");
            assertReplaced(change(configMap("debug"), configMap("info"), defaultProvider), "data");
            assertReplaced(change(configMap("debug", { immutable: true }), configMap("info", { immutable: true })), "data");

            const secret = (keys: string[], type = "Opaque"): ResourceRecord =>
                kubernetes("core/v1", "Secret", "api-jwt", { type, stringData: Object.fromEntries(keys.map((key) => [key, "plain-text-value"])) });
            assertUpdated(change(secret(["a"]), secret(["a", "b"])), "stringData.b");
            assertReplaced(change(secret(["a"]), secret(["a"], "kubernetes.io/basic-auth")), "type");
            assertReplaced(change(secret(["a"]), secret(["a", "b"]), defaultProvider), "stringData");
        });

        it("replaces a RoleBinding whose roleRef changes and a StorageClass whose parameters change", () => {
            const binding = (role: string): ResourceRecord =>
                kubernetes("rbac.authorization.k8s.io/v1", "RoleBinding", "prometheus", { roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role }, subjects: [] });
            assertReplaced(change(binding("a"), binding("b")), "roleRef");
            const storageClass = (type: string): ResourceRecord =>
                resource("kubernetes:storage.k8s.io/v1:StorageClass", "gp3", { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "gp3" }, provisioner: "ebs.csi.aws.com", parameters: { type } });
            assertReplaced(change(storageClass("gp3"), storageClass("io2")), "parameters");
        });
    });

    describe("AWS, docker and random resources (their providers' ForceNew fields)", () => {
        const cluster = (inputs: JsonObject): ResourceRecord =>
            resource("aws:eks/cluster:Cluster", "nsip", { name: "nsip-prod", roleArn: "arn:aws:iam::1:role/a", version: "1.34", vpcConfig: { subnetIds: ["subnet-1"] }, ...inputs });

        it("replaces an EKS cluster whose name, role or service CIDR changes, upgrades its version in place", () => {
            assertReplaced(change(cluster({}), cluster({ name: "nsip-prod-2" })), "name");
            assertReplaced(change(cluster({}), cluster({ roleArn: "arn:aws:iam::1:role/b" })), "roleArn");
            assertReplaced(change(cluster({}), cluster({ kubernetesNetworkConfig: { serviceIpv4Cidr: "172.20.0.0/16" } })), "kubernetesNetworkConfig.serviceIpv4Cidr");
            assertUpdated(change(cluster({}), cluster({ version: "1.35" })), "version");
        });

        it("replaces an EKS cluster when envelope encryption is removed, not when it is added", () => {
            const encryption = { encryptionConfig: { provider: { keyArn: "arn:aws:kms:eu-west-1:1:key/k" }, resources: ["secrets"] } };
            assert.equal(change(cluster({}), cluster(encryption)).action, "update");
            const removed = change(cluster(encryption), cluster({}));
            assert.equal(removed.action, "replace");
            assert.deepEqual(removed.replaceReasons, ["`encryptionConfig` (removed: envelope encryption cannot be turned off)"]);
        });

        it("replaces a node group whose instance types or subnets change, scales it in place", () => {
            const nodeGroup = (inputs: JsonObject): ResourceRecord =>
                resource("aws:eks/nodeGroup:NodeGroup", "nodes", { clusterName: "nsip-prod", instanceTypes: ["m6i.large"], scalingConfig: { desiredSize: 3, maxSize: 6, minSize: 3 }, subnetIds: ["subnet-1"], ...inputs });
            assertReplaced(change(nodeGroup({}), nodeGroup({ instanceTypes: ["m6i.xlarge"] })), "instanceTypes");
            assertReplaced(change(nodeGroup({}), nodeGroup({ subnetIds: ["subnet-2"] })), "subnetIds");
            assertUpdated(change(nodeGroup({}), nodeGroup({ scalingConfig: { desiredSize: 4, maxSize: 6, minSize: 3 } })), "scalingConfig.desiredSize");
        });

        it("replaces a docker container on any change but its restart policy, and a password on any change", () => {
            const container = (inputs: JsonObject): ResourceRecord => resource("docker:index/container:Container", "k3s", { image: "rancher/k3s:v1", restart: "unless-stopped", ...inputs });
            assertReplaced(change(container({}), container({ image: "rancher/k3s:v2" })), "image");
            assertUpdated(change(container({}), container({ restart: "always" })), "restart");
            const password = (length: number): ResourceRecord => resource("random:index/randomPassword:RandomPassword", "pg", { length, special: false });
            assertReplaced(change(password(32), password(40)), "length");
        });

        it("treats a resource with no known force-new fields as updated, naming the changed fields and options", () => {
            const key = (rotation: boolean, protect: boolean): ResourceRecord => resource("aws:kms/key:Key", "secrets", { enableKeyRotation: rotation }, { protect });
            assertUpdated(change(key(false, false), key(true, true)), "enableKeyRotation", "(option) protect");
        });
    });

    describe("adds, deletes, outputs and the Markdown", () => {
        const markdown = (base: RenderFiles, head: RenderFiles, maxChars = 60000): string =>
            renderMarkdown([{ stack: "dev", plan: planStack(base, head) }], { baseLabel: "`main` (abc1234)", maxChars });

        it("says exactly 'no changes' when the renders agree", () => {
            const same = render([kubernetes("core/v1", "ConfigMap", "a", { data: { x: "1" } })], { namespace: { value: "nsip", secret: false } });
            assert.equal(markdown(same, same), `${NO_CHANGES}\n`);
        });

        it("lists added, deleted, updated and replaced resources under their headings, diffs folded", () => {
            const base = render([
                kubernetes("core/v1", "ConfigMap", "kept", { data: { x: "1" } }),
                kubernetes("core/v1", "ConfigMap", "gone", { data: { x: "1" } }),
                kubernetes("core/v1", "Service", "db", { spec: { clusterIP: "10.0.0.1" } }),
            ]);
            const head = render([
                kubernetes("core/v1", "ConfigMap", "kept", { data: { x: "2" } }),
                kubernetes("core/v1", "ConfigMap", "new", { data: { y: "1" } }),
                kubernetes("core/v1", "Service", "db", { spec: { clusterIP: "None" } }),
            ]);
            const text = markdown(base, head);
            assert.match(text, /^### Stack `dev`: offline plan against `main` \(abc1234\)$/m);
            assert.match(text, /^\*\*1 to replace, 1 to delete, 1 to update, 1 to add\*\*$/m);
            assert.match(text, /#### Replaced, i.e. deleted and created again \(1\)\n\n- `Service nsip\/db` `kubernetes:core\/v1:Service`: replaced because `spec.clusterIP` cannot change in place/);
            assert.match(text, /#### Deleted \(1\)\n\n- `ConfigMap nsip\/gone`/);
            assert.match(text, /#### Updated in place \(1\)\n\n- `ConfigMap nsip\/kept` `kubernetes:core\/v1:ConfigMap`: `data.x`\n  <details><summary>diff<\/summary>/);
            assert.match(text, /^ {2}-\s+x: "1"$/m, "the folded diff removes the old value");
            assert.match(text, /^ {2}\+\s+x: "2"$/m, "the folded diff adds the new value");
            assert.match(text, /#### Added \(1\)\n\n- `ConfigMap nsip\/new` `kubernetes:core\/v1:ConfigMap`\n  <details><summary>manifest<\/summary>/);
        });

        it("never prints a Secret's values, whether or not the program marked them secret", () => {
            const secret = (name: string, value: string, extra: string[]): ResourceRecord =>
                kubernetes("core/v1", "Secret", name, {
                    type: "Opaque",
                    stringData: Object.fromEntries([["password", value], ...extra.map((key) => [key, `${value}-${key}`])]),
                    data: { token: Buffer.from(`token-${value}`).toString("base64") },
                });
            const text = markdown(render([secret("creds", "hunter2-old", [])]), render([secret("creds", "hunter2-new", ["user"]), secret("other", "brand-new-value", [])]));
            assert.match(text, /stringData\.user/, "the added key is named");
            for (const value of ["hunter2", "brand-new-value", Buffer.from("token-hunter2-new").toString("base64")]) {
                assert.ok(!text.includes(value), `the Markdown shows the secret value ${value}`);
            }
        });

        it("tables changed outputs, a secret one as 'secret' only", () => {
            const base = render([], { publicUrl: { value: "http://127.0.0.1:8080", secret: false }, kubeconfig: { value: "[secret]", secret: true } });
            const head = render([], { publicUrl: { value: "http://127.0.0.1:9090", secret: false }, adminPassword: { value: "[secret]", secret: true }, kubeconfig: { value: "[secret]", secret: true } });
            const text = markdown(base, head);
            assert.match(text, /^\*\*2 outputs changed\*\*$/m);
            assert.match(text, /^\| `adminPassword` \| _\(none\)_ \| _secret_ \|$/m);
            assert.match(text, /^\| `publicUrl` \| `http:\/\/127\.0\.0\.1:8080` \| `http:\/\/127\.0\.0\.1:9090` \|$/m);
            assert.ok(!text.includes("kubeconfig"), "an unchanged output is not listed");
        });

        it("leaves the folded diffs out rather than exceed the comment limit", () => {
            const many = (value: string): RenderFiles => render(Array.from({ length: 40 }, (_, i) => kubernetes("core/v1", "ConfigMap", `c${i}`, { data: { x: value.repeat(50) } })));
            const text = markdown(many("a"), many("b"), 5000);
            assert.ok(text.length <= 6000, `${text.length} characters`);
            assert.ok(!text.includes("<details>"));
            assert.match(text, /per-object diffs are left out/);
            assert.match(text, /\*\*40 to update\*\*/);
        });
    });
});
