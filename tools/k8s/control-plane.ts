import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { freePorts } from "../testenv";
import { KubeClient } from "./client";
import { KWOK_NODE_ANNOTATION, nodeObject, simulatedNodes, SimulatedNode } from "./nodes";
import { createPki, kubeconfigYaml } from "./pki";
import { LoadBalancerController } from "./load-balancer";
import { VolumeProvisioner } from "./provisioner";

/**
 * A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, with kwok playing the kubelet of three nodes in three zones. Every wait is bounded;
 * stop() ends every process it started, and an exiting Node process takes them down too.
 */

/** The admission plugins every EKS platform version enables (EKS user guide, "platform versions"). */
export const EKS_ADMISSION_PLUGINS = [
    "NamespaceLifecycle", "LimitRanger", "ServiceAccount", "NodeRestriction", "ExtendedResourceToleration",
    "TaintNodesByCondition", "PodSecurity", "Priority", "DefaultTolerationSeconds", "DefaultStorageClass",
    "StorageObjectInUseProtection", "PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval",
    "CertificateSigning", "CertificateSubjectRestriction", "DefaultIngressClass", "MutatingAdmissionWebhook",
    "ValidatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ResourceQuota",
];

const SERVICE_CIDR = "10.100.0.0/16";
const POD_CIDR = "10.244.0.0/16";

export interface StorageClassSpec {
    name: string;
    provisioner: string;
    isDefault?: boolean;
}

export interface ControlPlaneOptions {
    /** Directory holding kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok. */
    binDir: string;
    /** Working directory (certificates, etcd data, logs); a fresh temp dir by default, removed on stop. */
    workDir?: string;
    /** StorageClasses the cluster comes with, like a distribution's defaults (k3s: local-path). */
    storageClasses?: StorageClassSpec[];
    /** Provisioner names the test's volume provisioner serves. */
    provisioners?: string[];
    /** Upper bound for each component to become ready. */
    startTimeoutMs?: number;
    log?: (line: string) => void;
}

interface Component {
    name: string;
    process: ChildProcess;
    logFile: string;
}

export class ControlPlane {
    readonly client: KubeClient;
    readonly nodes: SimulatedNode[];
    private readonly components: Component[] = [];
    private provisioner: VolumeProvisioner | undefined;
    private loadBalancers: LoadBalancerController | undefined;
    private stopped = false;

    private constructor(
        readonly workDir: string,
        private readonly ownsWorkDir: boolean,
        readonly server: string,
        /** Admin kubeconfig (system:masters), certificates inlined. */
        readonly kubeconfigPath: string,
        credentials: ConstructorParameters<typeof KubeClient>[0],
        private readonly log: (line: string) => void,
    ) {
        this.client = new KubeClient(credentials);
        this.nodes = simulatedNodes();
    }

    /**
     * What kwok serves as every container's log (`kubectl logs`), in the CRI log format the kubelet reads
     * (`<RFC3339Nano time> stdout F <line>`, see appendPodLog). Exec runs the command on this host, in workDir.
     */
    get podLogFile(): string {
        return path.join(this.workDir, "pod.log");
    }

    /** Appends lines to what every container's log shows. */
    appendPodLog(lines: readonly string[], stream: "stdout" | "stderr" = "stdout"): void {
        const time = new Date().toISOString().replace("Z", "000000Z");
        fs.appendFileSync(this.podLogFile, lines.map((line) => `${time} ${stream} F ${line}\n`).join(""));
    }

    /** Errors the volume provisioner and the load-balancer stand-in met (a test asserts there are none). */
    get addOnErrors(): readonly string[] {
        return [...(this.provisioner?.loop.errors ?? []), ...(this.loadBalancers?.loop.errors ?? [])];
    }

    static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
        const log = options.log ?? ((line: string) => process.stderr.write(`[control-plane] ${line}\n`));
        const timeout = options.startTimeoutMs ?? 180_000;
        const ownsWorkDir = options.workDir === undefined;
        const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "nsip-control-plane-"));
        for (const binary of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml"]) {
            if (!fs.existsSync(path.join(options.binDir, binary))) {
                throw new Error(`${binary} not found in ${options.binDir} (run: bash tools/k8s/binaries.sh)`);
            }
        }
        const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedulerPort, kwokPort] = await freePorts(6);
        const server = `https://127.0.0.1:${apiPort}`;

        const pki = createPki(path.join(workDir, "pki"), {
            serverIps: ["127.0.0.1", "10.100.0.1"],
            serverNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
            clients: [
                { file: "admin", commonName: "nsip-test-admin", organization: "system:masters" },
                { file: "controller-manager", commonName: "system:kube-controller-manager" },
                { file: "scheduler", commonName: "system:kube-scheduler" },
                { file: "kwok", commonName: "kwok-controller", organization: "system:masters" },
            ],
        });
        const kubeconfig = (client: string) => {
            const file = path.join(workDir, `${client}.kubeconfig`);
            const files = pki.clients[client];
            if (files === undefined) {
                throw new Error(`no client certificate for ${client}`);
            }
            fs.writeFileSync(file, kubeconfigYaml({ server, caCert: pki.caCert, cert: files.cert, key: files.key, user: client }), { mode: 0o600 });
            return file;
        };
        const admin = pki.clients["admin"];
        if (admin === undefined) {
            throw new Error("no admin client certificate");
        }
        const plane = new ControlPlane(
            workDir,
            ownsWorkDir,
            server,
            kubeconfig("admin"),
            {
                server,
                caPem: fs.readFileSync(pki.caCert, "utf8"),
                certPem: fs.readFileSync(admin.cert, "utf8"),
                keyPem: fs.readFileSync(admin.key, "utf8"),
            },
            log,
        );
        try {
            const bin = (name: string) => path.join(options.binDir, name);
            plane.spawn("etcd", bin("etcd"), [
                "--name=nsip-test",
                `--data-dir=${path.join(workDir, "etcd")}`,
                `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
                `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
                `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
                `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
                `--initial-cluster=nsip-test=http://127.0.0.1:${etcdPeerPort}`,
                "--listen-metrics-urls=",
                // A test cluster's data is thrown away: skipping fsync keeps etcd fast on a shared disk.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ]);
            await waitFor("etcd", timeout, () => httpOk(`http://127.0.0.1:${etcdPort}/health`));

            plane.spawn("kube-apiserver", bin("kube-apiserver"), [
                `--etcd-servers=http://127.0.0.1:${etcdPort}`,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                `--secure-port=${apiPort}`,
                `--tls-cert-file=${pki.serverCert}`,
                `--tls-private-key-file=${pki.serverKey}`,
                `--client-ca-file=${pki.caCert}`,
                `--service-account-key-file=${pki.serviceAccountPub}`,
                `--service-account-signing-key-file=${pki.serviceAccountKey}`,
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                `--service-cluster-ip-range=${SERVICE_CIDR}`,
                "--authorization-mode=Node,RBAC",
                `--enable-admission-plugins=${EKS_ADMISSION_PLUGINS.join(",")}`,
                "--allow-privileged=true",
                // The API server's own endpoints would carry 127.0.0.1, which Endpoints validation rejects.
                "--endpoint-reconciler-type=none",
                // Logs, exec and the node proxy go to kwok's kubelet API (its node address is 127.0.0.1), verified against our CA.
                "--kubelet-preferred-address-types=InternalIP",
                `--kubelet-certificate-authority=${pki.caCert}`,
                `--kubelet-client-certificate=${admin.cert}`,
                `--kubelet-client-key=${admin.key}`,
                "--profiling=false",
                `--cert-dir=${path.join(workDir, "apiserver-certs")}`,
            ]);
            await waitFor("kube-apiserver", timeout, async () => {
                const response = await plane.client.request("GET", "/readyz");
                return response.status === 200;
            });

            // Both run as their own RBAC identity, serve healthz on loopback and skip leader election.
            const controllerArgs = (identity: string, port: number) => {
                const config = kubeconfig(identity);
                return [
                    `--kubeconfig=${config}`,
                    `--authentication-kubeconfig=${config}`,
                    `--authorization-kubeconfig=${config}`,
                    "--bind-address=127.0.0.1",
                    `--secure-port=${port}`,
                    `--cert-dir=${path.join(workDir, `${identity}-certs`)}`,
                    "--leader-elect=false",
                    "--profiling=false",
                ];
            };
            plane.spawn("kube-controller-manager", bin("kube-controller-manager"), [
                ...controllerArgs("controller-manager", kcmPort),
                "--use-service-account-credentials=true",
                `--service-account-private-key-file=${pki.serviceAccountKey}`,
                `--root-ca-file=${pki.caCert}`,
                `--cluster-signing-cert-file=${pki.caCert}`,
                `--cluster-signing-key-file=${pki.caKey}`,
                `--service-cluster-ip-range=${SERVICE_CIDR}`,
            ]);
            plane.spawn("kube-scheduler", bin("kube-scheduler"), controllerArgs("scheduler", schedulerPort));
            await waitFor("kube-controller-manager", timeout, () => httpsOk(`https://127.0.0.1:${kcmPort}/healthz`));
            await waitFor("kube-scheduler", timeout, () => httpsOk(`https://127.0.0.1:${schedulerPort}/healthz`));

            fs.writeFileSync(plane.podLogFile, "");
            const debugging = path.join(workDir, "kwok-debugging.yaml");
            fs.writeFileSync(debugging, kwokDebuggingConfig(plane.podLogFile, workDir));
            plane.spawn("kwok", bin("kwok"), [
                `--kubeconfig=${kubeconfig("kwok")}`,
                `--config=${bin("kwok-stages.yaml")}`,
                `--config=${debugging}`,
                // The kubelet API (logs, exec) on loopback, with a serving certificate the API server verifies.
                "--node-ip=127.0.0.1",
                `--node-port=${kwokPort}`,
                `--tls-cert-file=${pki.serverCert}`,
                `--tls-private-key-file=${pki.serverKey}`,
                `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
                `--cidr=${POD_CIDR}`,
                `--server-address=127.0.0.1:${kwokPort}`,
                "--node-lease-duration-seconds=40",
            ]);
            for (const node of plane.nodes) {
                await plane.client.call("POST", "/api/v1/nodes", nodeObject(node));
            }
            await waitFor("kwok nodes Ready", timeout, () => plane.nodesReady());

            // The default namespace's ServiceAccount appears once the controllers run: a usable cluster.
            await waitFor("default ServiceAccount", timeout, async () => (await plane.client.get("v1", "ServiceAccount", "default", "default")) !== undefined);

            for (const storageClass of options.storageClasses ?? []) {
                await plane.client.call("POST", "/apis/storage.k8s.io/v1/storageclasses", {
                    apiVersion: "storage.k8s.io/v1",
                    kind: "StorageClass",
                    metadata: {
                        name: storageClass.name,
                        annotations: storageClass.isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {},
                    },
                    provisioner: storageClass.provisioner,
                    reclaimPolicy: "Delete",
                    volumeBindingMode: "WaitForFirstConsumer",
                });
            }
            const provisioners = [...(options.provisioners ?? []), ...(options.storageClasses ?? []).map((storageClass) => storageClass.provisioner)];
            if (provisioners.length > 0) {
                plane.provisioner = new VolumeProvisioner(plane.client, provisioners);
                plane.provisioner.loop.start();
            }
            plane.loadBalancers = new LoadBalancerController(plane.client);
            plane.loadBalancers.loop.start();
            log(`ready at ${server} (kubeconfig ${plane.kubeconfigPath})`);
            return plane;
        } catch (error) {
            await plane.stop({ keepWorkDir: true });
            throw new Error(`${error instanceof Error ? error.message : String(error)}\n${plane.logTails()}\n(logs kept in ${workDir})`);
        }
    }

    /** Stops every component (SIGTERM, then SIGKILL after 10 s) and removes the temp work dir. */
    async stop(options: { keepWorkDir?: boolean } = {}): Promise<void> {
        if (this.stopped) {
            return;
        }
        this.stopped = true;
        await this.provisioner?.loop.stop();
        await this.loadBalancers?.loop.stop();
        this.client.close();
        for (const component of [...this.components].reverse()) {
            await terminate(component.process);
        }
        if (this.ownsWorkDir && !options.keepWorkDir) {
            fs.rmSync(this.workDir, { recursive: true, force: true });
        }
    }

    /** The last lines of every component's log: what a failed start or test needs to show. */
    logTails(lines = 15): string {
        return this.components
            .map((component) => {
                const text = fs.existsSync(component.logFile) ? fs.readFileSync(component.logFile, "utf8") : "";
                const tail = text.trimEnd().split("\n").slice(-lines).join("\n");
                return `--- ${component.name} (exit ${component.process.exitCode ?? "running"}) ---\n${tail}`;
            })
            .join("\n");
    }

    private spawn(name: string, binary: string, args: string[]): void {
        const logFile = path.join(this.workDir, "logs", `${name}.log`);
        fs.mkdirSync(path.dirname(logFile), { recursive: true });
        const out = fs.openSync(logFile, "a");
        const child = spawn(binary, args, { stdio: ["ignore", out, out], cwd: this.workDir });
        fs.closeSync(out);
        children.add(child);
        child.on("exit", (code, signal) => {
            children.delete(child);
            if (!this.stopped) {
                this.log(`${name} exited unexpectedly (code ${code}, signal ${signal}); log: ${logFile}`);
            }
        });
        this.components.push({ name, process: child, logFile });
        this.log(`started ${name} (pid ${child.pid})`);
    }

    private async nodesReady(): Promise<boolean> {
        const nodes = await this.client.list<{ status?: { conditions?: { type: string; status: string }[] } }>("v1", "Node");
        const ready = nodes.filter((node) => node.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"));
        return ready.length === this.nodes.length;
    }
}

/** Children of every control plane in this process, killed if the process exits without stop(). */
const children = new Set<ChildProcess>();
process.on("exit", () => {
    for (const child of children) {
        child.kill("SIGKILL");
    }
});

async function terminate(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return;
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const killTimer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killTimer);
}

/** Polls `check` until it returns true; throws after `timeoutMs`, naming what it waited for. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, intervalMs = 250): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
        try {
            if (await check()) {
                return;
            }
        } catch (error) {
            lastError = error;
        }
        if (Date.now() > deadline) {
            const cause = lastError === undefined ? "" : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${cause}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

function httpOk(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get(url, { timeout: 5_000 }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(false));
    });
}

/** The components' own serving certificates are self-signed: only liveness is checked here. */
function httpsOk(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = https.get(url, { timeout: 5_000, rejectUnauthorized: false }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(false));
    });
}

/** `bash tools/k8s/binaries.sh`: the binaries' directory, built on first use (minutes, cold). */
export function controlPlaneBinaries(): string {
    const script = path.join(__dirname, "binaries.sh");
    return execFileSync("bash", [script, "path"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1024 * 1024 }).trim();
}

/**
 * The add-ons a stack's render expects of its cluster, which the test control plane stands in for:
 * k3s ships local-path as its default StorageClass (dev); on EKS the render brings its own gp3 class,
 * served by the EBS CSI driver (prod); an existing cluster comes with a default class of its own.
 */
export const CLUSTER_ADD_ONS = {
    dev: { storageClasses: [{ name: "local-path", provisioner: "rancher.io/local-path", isDefault: true }], provisioners: [] },
    prod: { storageClasses: [], provisioners: ["ebs.csi.aws.com"] },
    existing: { storageClasses: [{ name: "gp3", provisioner: "ebs.csi.aws.com", isDefault: true }], provisioners: [] },
} satisfies Record<string, Pick<ControlPlaneOptions, "storageClasses" | "provisioners">>;

/**
 * kwok's kubelet-API answers for every pod: one log file for all containers (ClusterLogs) and exec as a
 * local process in `execDir` (ClusterExec), so `kubectl logs` / `kubectl exec` paths run end to end.
 */
function kwokDebuggingConfig(logsFile: string, execDir: string): string {
    return [
        "apiVersion: kwok.x-k8s.io/v1alpha1",
        "kind: ClusterLogs",
        "metadata:",
        "  name: every-pod",
        "spec:",
        "  logs:",
        `  - logsFile: ${JSON.stringify(logsFile)}`,
        "    follow: true",
        "---",
        "apiVersion: kwok.x-k8s.io/v1alpha1",
        "kind: ClusterExec",
        "metadata:",
        "  name: every-pod",
        "spec:",
        "  execs:",
        "  - local:",
        `      workDir: ${JSON.stringify(execDir)}`,
        "",
    ].join("\n");
}
