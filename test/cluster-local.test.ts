import * as assert from "assert";
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createHash } from "crypto";
import { parse } from "yaml";
import { K3S_CERTIFICATE_AUTHORITIES, K3S_TLS_DIR } from "../components/cluster/k3s-pki";
import { K3S_ENTRYPOINT_PATH, K3S_ENTRYPOINT_SCRIPT, LOCAL_EDGE_SERVICE_PORT, LocalCluster, LocalClusterArgs } from "../components/cluster/local";
import { clusterDefaults } from "../stacks/profiles";
import { isSecretOutput, RecordedResource, ResourceRecorder, stopMocks, valueOf } from "./support/pulumi-mocks";

const T = {
    network: "docker:index/network:Network",
    container: "docker:index/container:Container",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    volume: "docker:index/volume:Volume",
    k8sProvider: "pulumi:providers:kubernetes",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
    certRequest: "tls:index/certRequest:CertRequest",
    privateKey: "tls:index/privateKey:PrivateKey",
};

const ARGS: LocalClusterArgs = { clusterName: "nsip-dev", registryPort: 5001, apiPort: 6550, edgeHostPort: 8088, imageNamespace: "nsip" };

describe("cluster: local (k3s + registry in Docker)", () => {
    let recorder: ResourceRecorder;
    let cluster: LocalCluster;
    let registry: RecordedResource;
    let k3s: RecordedResource;
    before(async () => {
        recorder = await ResourceRecorder.start();
        cluster = new LocalCluster("dev", ARGS);
        await recorder.settle();
        registry = recorder.one(T.container, "dev-registry");
        k3s = recorder.one(T.container, "dev-k3s");
    });
    after(stopMocks);

    it("puts the registry and k3s containers on one private bridge network", () => {
        const network = recorder.one(T.network);
        assert.strictEqual(network.inputs.driver, "bridge");
        assert.strictEqual(network.inputs.name, "nsip-dev");
        assert.strictEqual(recorder.ofType(T.container).length, 2);
        for (const container of [registry, k3s]) {
            assert.deepStrictEqual(
                container.inputs.networksAdvanced.map((n: any) => n.name),
                ["nsip-dev"],
            );
            assert.strictEqual(container.inputs.networkMode, undefined, "not on the default bridge or host network");
        }
    });

    it("publishes every port on 127.0.0.1 only: registry 5000, API 6443, edge 80", () => {
        const published = (c: RecordedResource) => c.inputs.ports.map((p: any) => ({ ip: p.ip, internal: p.internal, external: p.external }));
        assert.deepStrictEqual(published(registry), [{ ip: "127.0.0.1", internal: 5000, external: 5001 }]);
        assert.deepStrictEqual(published(k3s), [
            { ip: "127.0.0.1", internal: 6443, external: 6550 },
            { ip: "127.0.0.1", internal: LOCAL_EDGE_SERVICE_PORT, external: 8088 },
        ]);
        assert.strictEqual(LOCAL_EDGE_SERVICE_PORT, 80);
        assert.deepStrictEqual(cluster.edge, { kind: "local", hostPort: 8088 });
    });

    it("runs exact image tags, never a moving one", () => {
        const images = recorder.ofType(T.remoteImage).map((i) => i.inputs.name).sort();
        assert.strictEqual(images.length, 2);
        assert.match(images[0], /^rancher\/k3s:v1\.3\d\.\d+-k3s\d$/);
        assert.match(images[1], /^registry:2\.8\.\d+$/);
        // Containers run the pulled image by id, so a re-tagged upstream image cannot slip in.
        assert.strictEqual(k3s.inputs.image, recorder.one(T.remoteImage, "dev-k3s").outputs.imageId);
        assert.strictEqual(registry.inputs.image, recorder.one(T.remoteImage, "dev-registry").outputs.imageId);
    });

    it("runs the Kubernetes minor of the prod default and the test control plane (tools/k8s/versions.env)", () => {
        const k3sMinor = /^rancher\/k3s:v(\d+\.\d+)\.\d+-k3s\d+$/.exec(String(recorder.one(T.remoteImage, "dev-k3s").inputs.name))?.[1];
        const env = readFileSync(join(__dirname, "..", "tools", "k8s", "versions.env"), "utf8");
        const controlPlaneMinor = /^KUBERNETES_VERSION=(\d+\.\d+)\.\d+$/m.exec(env)?.[1];
        const prod = clusterDefaults("prod", "prod", undefined);
        assert.ok(k3sMinor && controlPlaneMinor);
        assert.strictEqual(k3sMinor, controlPlaneMinor);
        assert.strictEqual(prod.provider === "eks" ? prod.kubernetesVersion : undefined, k3sMinor);
    });

    it("runs k3s as k3s-in-Docker requires: privileged in the host user namespace, under docker-init, tmpfs /run and /var/run, a volume for its data", () => {
        assert.strictEqual(k3s.inputs.privileged, true);
        assert.strictEqual(k3s.inputs.usernsMode, "host", "a privileged container needs the host user namespace under userns-remap");
        assert.strictEqual(k3s.inputs.init, true, "docker-init reaps zombies, whatever the daemon's default");
        assert.deepStrictEqual(k3s.inputs.entrypoints, [K3S_ENTRYPOINT_PATH], "the entrypoint evacuates the cgroup v2 root, then execs k3s");
        const upload = k3s.inputs.uploads.find((u: any) => u.file === K3S_ENTRYPOINT_PATH);
        assert.deepStrictEqual([upload.content, upload.executable], [K3S_ENTRYPOINT_SCRIPT, true]);
        assert.deepStrictEqual(k3s.inputs.tmpfs, { "/run": "", "/var/run": "" });
        const volume = recorder.one(T.volume, "dev-k3s-data");
        assert.deepStrictEqual(k3s.inputs.volumes, [{ volumeName: volume.inputs.name, containerPath: "/var/lib/rancher/k3s" }]);
        assert.strictEqual(registry.inputs.privileged, undefined, "the registry is not privileged");
        assert.deepStrictEqual(registry.inputs.volumes, [{ volumeName: "nsip-dev-registry-data", containerPath: "/var/lib/registry" }]);
    });

    it("names the k3s data volume after the CAs, so regenerated CAs get a fresh volume and a replaced container", () => {
        const volume = recorder.one(T.volume, "dev-k3s-data");
        const pems = [
            ...K3S_CERTIFICATE_AUTHORITIES.map((ca) => recorder.one(T.selfSignedCert, `dev-pki-${ca.replace("/", "-")}`).outputs.certPem),
            recorder.one(T.privateKey, "dev-pki-service").outputs.publicKeyPem,
        ];
        assert.ok(pems.every((pem) => typeof pem === "string" && pem.startsWith("-----BEGIN ")));
        const fingerprint = createHash("sha256").update(pems.join("\n")).digest("hex").slice(0, 12);
        assert.strictEqual(volume.inputs.name, `nsip-dev-k3s-data-${fingerprint}`);
        assert.deepStrictEqual(k3s.inputs.volumes, [{ volumeName: volume.inputs.name, containerPath: "/var/lib/rancher/k3s" }]);
        assert.ok(recorder.upstream(volume).has(recorder.one(T.selfSignedCert, "dev-pki-server-ca").urn), "the volume waits on the CAs it is named after");
        assert.strictEqual(k3s.deleteBeforeReplace, true, "the fixed container name is freed before its replacement is created");
    });

    it("replaces the registry container delete-first, as its name is fixed, and keeps the images in the named volume", () => {
        assert.strictEqual(registry.inputs.name, "nsip-dev-registry");
        assert.strictEqual(registry.deleteBeforeReplace, true, "a port or image change frees the name before the new container is created");
        assert.strictEqual(recorder.one(T.volume, "dev-registry-data").deleteBeforeReplace, undefined, "the volume is not replaced with it");
    });

    it("starts the k3s server with 127.0.0.1 in the certificate, traefik off and ServiceLB kept", () => {
        const command: string[] = k3s.inputs.command;
        assert.strictEqual(command[0], "server");
        assert.ok(command.includes("--tls-san=127.0.0.1"));
        assert.ok(command.includes("--disable=traefik"));
        assert.ok(!command.some((c) => c.includes("servicelb")), "ServiceLB publishes the edge");
        assert.ok(k3s.inputs.wait === true && k3s.inputs.healthcheck.tests.join(" ").includes("/readyz"), "up waits for the API server");
    });

    it("relaxes the kubelet's disk-pressure eviction to 1% free, as k3d's FAQ advises for nearly full Docker disks", () => {
        const command: string[] = k3s.inputs.command;
        const kubeletArgs = command.filter((c) => c.startsWith("--kubelet-arg=")).map((c) => c.slice("--kubelet-arg=".length));
        const thresholds = (flag: string, separator: string) => {
            const value = kubeletArgs.find((a) => a.startsWith(`${flag}=`));
            assert.ok(value, `${flag} is passed to the kubelet`);
            return Object.fromEntries(value.slice(flag.length + 1).split(",").map((t) => t.split(separator)));
        };
        assert.deepStrictEqual(thresholds("eviction-hard", "<"), { "imagefs.available": "1%", "nodefs.available": "1%" });
        assert.deepStrictEqual(thresholds("eviction-minimum-reclaim", "="), { "imagefs.available": "1%", "nodefs.available": "1%" });
    });

    it("uploads registries.yaml mirroring localhost:<registryPort> to the registry container over the network", () => {
        const upload = k3s.inputs.uploads.find((u: any) => u.file === "/etc/rancher/k3s/registries.yaml");
        const config = parse(upload.content);
        assert.deepStrictEqual(config, { mirrors: { "localhost:5001": { endpoint: [`http://${registry.inputs.name}:5000`] } } });
        const aliases = registry.inputs.networksAdvanced[0].aliases ?? [];
        assert.ok(registry.inputs.name === "nsip-dev-registry" && aliases.includes("nsip-dev-registry"));
    });

    it("pre-seeds every CA file k3s requires (plus the service-account key) before first start, keys 0600, as a secret", () => {
        const files = k3s.inputs.uploads.filter((u: any) => u.file.startsWith(`${K3S_TLS_DIR}/`));
        const expected = [
            ...K3S_CERTIFICATE_AUTHORITIES.flatMap((ca) => [`${K3S_TLS_DIR}/${ca}.crt`, `${K3S_TLS_DIR}/${ca}.key`]),
            `${K3S_TLS_DIR}/service.key`,
        ].sort();
        assert.deepStrictEqual(files.map((f: any) => f.file).sort(), expected);
        assert.deepStrictEqual(
            [...K3S_CERTIFICATE_AUTHORITIES].sort(),
            ["client-ca", "etcd/peer-ca", "etcd/server-ca", "request-header-ca", "server-ca"],
        );
        files.forEach((f: any) => assert.strictEqual(f.permissions, f.file.endsWith(".key") ? "0600" : "0644"));
        files.forEach((f: any) => assert.match(f.content, /^-----BEGIN /));
        assert.ok(k3s.secretInputs.includes("uploads"), "private keys never appear in plain text in the state");
        // CA certs are CAs, and each .crt is the cert of its own CA resource.
        for (const cert of recorder.ofType(T.selfSignedCert)) {
            assert.strictEqual(cert.inputs.isCaCertificate, true);
            assert.ok(cert.inputs.allowedUses.includes("cert_signing"));
        }
        const service = recorder.one(T.privateKey, "dev-pki-service");
        assert.deepStrictEqual([service.inputs.algorithm, service.inputs.rsaBits], ["RSA", 2048]);
    });

    it("computes the kubeconfig in Pulumi: 127.0.0.1 API, server CA, a system:masters client cert signed by the client CA", async () => {
        assert.ok(await isSecretOutput(cluster.kubeconfig));
        const kubeconfig = parse(await valueOf(cluster.kubeconfig));
        const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
        const certPem = (type: string, name: string): string => recorder.one(type, name).outputs.certPem;
        const keyPem = (name: string): string => recorder.one(T.privateKey, name).outputs.privateKeyPem;
        assert.strictEqual(kubeconfig.clusters[0].cluster.server, "https://127.0.0.1:6550");
        assert.strictEqual(decode(kubeconfig.clusters[0].cluster["certificate-authority-data"]), certPem(T.selfSignedCert, "dev-pki-server-ca"));
        assert.strictEqual(decode(kubeconfig.users[0].user["client-certificate-data"]), certPem(T.locallySignedCert, "dev-pki-admin"));
        assert.strictEqual(decode(kubeconfig.users[0].user["client-key-data"]), keyPem("dev-pki-admin"));

        const csr = recorder.one(T.certRequest);
        assert.deepStrictEqual(csr.inputs.subject, { commonName: "nsip-admin", organization: "system:masters" });
        const adminCert = recorder.one(T.locallySignedCert);
        assert.strictEqual(adminCert.inputs.caCertPem, certPem(T.selfSignedCert, "dev-pki-client-ca"));
        assert.strictEqual(adminCert.inputs.caPrivateKeyPem, keyPem("dev-pki-client-ca"));
        assert.ok(adminCert.inputs.allowedUses.includes("client_auth"));
    });

    it("builds the one Kubernetes provider from that kubeconfig, waiting for the k3s container", async () => {
        const provider = recorder.one(T.k8sProvider);
        assert.ok(provider.dependencies.includes(k3s.urn));
        assert.ok(provider.secretInputs.includes("kubeconfig"));
        assert.strictEqual(provider.inputs.kubeconfig, await valueOf(cluster.kubeconfig));
        assert.strictEqual(String(provider.inputs.enableServerSideApply), "true");
    });

    it("lets image pushes wait for the registry container only, never for k3s", async () => {
        const pushDeps = await Promise.all(cluster.registry.pushDependsOn.map((r) => valueOf(r.urn)));
        assert.deepStrictEqual(pushDeps, [registry.urn]);
        assert.ok(!recorder.upstream(registry).has(k3s.urn));
        assert.strictEqual(await valueOf(cluster.registry.repositoryUrl("api")), "localhost:5001/nsip/api");
        assert.strictEqual(cluster.registry.credentials, undefined);
    });

    it("leaves storage to k3s's default local-path class", () => {
        assert.strictEqual(cluster.storageClassName, undefined);
    });
});

describe("cluster: local k3s entrypoint (cgroup v2 evacuation under docker-init)", () => {
    const run = (root: string) =>
        execFileSync("sh", ["-c", K3S_ENTRYPOINT_SCRIPT, "entrypoint", "server", "--disable=traefik"], {
            env: { PATH: process.env.PATH, CGROUP_ROOT: root, K3S_BINARY: "echo" },
            encoding: "utf8",
        });
    let root: string;
    beforeEach(() => (root = mkdtempSync(join(tmpdir(), "cgroup-"))));
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it("moves every root process to init/, enables every controller for the children, then execs k3s with the command", () => {
        writeFileSync(join(root, "cgroup.controllers"), "cpuset cpu io memory pids\n");
        writeFileSync(join(root, "cgroup.procs"), "1\n42\n");
        assert.strictEqual(run(root), "server --disable=traefik\n");
        assert.strictEqual(readFileSync(join(root, "init", "cgroup.procs"), "utf8"), "1\n42\n");
        assert.strictEqual(readFileSync(join(root, "cgroup.subtree_control"), "utf8"), "+cpuset +cpu +io +memory +pids\n");
    });

    it("leaves a cgroup v1 host alone and still execs k3s", () => {
        assert.strictEqual(run(root), "server --disable=traefik\n");
        assert.throws(() => readFileSync(join(root, "cgroup.subtree_control")));
    });

    it("passes shellcheck as POSIX sh", () => {
        execFileSync("shellcheck", ["-s", "sh", "-"], { input: K3S_ENTRYPOINT_SCRIPT });
    });
});

describe("cluster: local under preview (unknown outputs)", () => {
    after(stopMocks);

    it("registers containers and provider without throwing while keys and image ids are unknown", async () => {
        const recorder = await ResourceRecorder.start({ preview: true });
        const cluster = new LocalCluster("dev", ARGS);
        await recorder.settle();
        assert.strictEqual(recorder.ofType(T.container).length, 2);
        assert.strictEqual(recorder.one(T.k8sProvider).inputs.kubeconfig, undefined);
        assert.strictEqual(await valueOf(cluster.registry.repositoryUrl("api")), "localhost:5001/nsip/api", "push targets are known at preview");
    });
});
