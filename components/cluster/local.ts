import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesProvider } from "./kubernetes-provider";
import { K3sPki } from "./k3s-pki";
import { clientCertKubeconfig } from "./kubeconfig";
import { Cluster, ClusterReadiness, EdgeExposure, ImageRegistry } from "./types";

export const DEFAULT_K3S_IMAGE = "rancher/k3s:v1.35.5-k3s1";
export const DEFAULT_REGISTRY_IMAGE = "registry:2.8.3";
/** Port the edge LoadBalancer Service must expose: k3s ServiceLB binds it on the node, i.e. the k3s container. */
export const LOCAL_EDGE_SERVICE_PORT = 80;

const REGISTRY_CONTAINER_PORT = 5000;
const K3S_API_PORT = 6443;
const LOOPBACK = "127.0.0.1";

/**
 * Kubelet hard-eviction thresholds relaxed to 1% free, as k3d's FAQ advises ("Pods evicted due to
 * NodeHasDiskPressure", k3d-io/k3d#133): the node's filesystems are the Docker engine's disk, which on Docker
 * Desktop is a VM image that is often nearly full, and the default 10%/15% would evict every pod.
 */
export const K3S_KUBELET_EVICTION_ARGS = [
    "--kubelet-arg=eviction-hard=imagefs.available<1%,nodefs.available<1%",
    "--kubelet-arg=eviction-minimum-reclaim=imagefs.available=1%,nodefs.available=1%",
] as const;

export interface LocalClusterArgs {
    /** Prefix of the Docker network, container and volume names, e.g. `nsip-dev`; one local cluster per prefix. */
    clusterName: string;
    /** Laptop port (127.0.0.1 only) of the image registry; images are pushed to `localhost:<registryPort>/...`. */
    registryPort: number;
    /** Laptop port (127.0.0.1 only) of the Kubernetes API server. */
    apiPort: number;
    /** Laptop port (127.0.0.1 only) forwarded to the edge Service's port 80 inside k3s. */
    edgeHostPort: number;
    /** Repository path under the registry: `localhost:<registryPort>/<imageNamespace>/<image>`, e.g. `nsip`. */
    imageNamespace: string;
    /** Exact k3s image tag; default DEFAULT_K3S_IMAGE. */
    k3sImage?: string;
    /** Exact registry image tag; default DEFAULT_REGISTRY_IMAGE. */
    registryImage?: string;
}

export const K3S_ENTRYPOINT_PATH = "/bin/nsip-k3s-entrypoint.sh";
/**
 * Runs under docker-init, so k3s is not PID 1 and skips its own cgroup v2 evacuation: move every process out of
 * the root cgroup and delegate all controllers to the children (the fix of moby's hack/dind and k3d's
 * cgroupv2 entrypoint), then exec k3s with the container's command. A no-op on cgroup v1.
 * CGROUP_ROOT and K3S_BINARY exist for the test, which runs it on a fake hierarchy.
 */
export const K3S_ENTRYPOINT_SCRIPT = `#!/bin/sh
set -eu
root="\${CGROUP_ROOT:-/sys/fs/cgroup}"
if [ -f "$root/cgroup.controllers" ]; then
  mkdir -p "$root/init"
  # One pid per write: cgroupfs accepts a single pid per write(2). Pids that exit meanwhile are fine to miss.
  xargs -rn1 <"$root/cgroup.procs" >"$root/init/cgroup.procs" || :
  sed -e 's/ / +/g' -e 's/^/+/' <"$root/cgroup.controllers" >"$root/cgroup.subtree_control"
fi
exec "\${K3S_BINARY:-/bin/k3s}" "$@"
`;

/** Container names, one local cluster per prefix; the port check (local-ports.ts) recognises its own containers by them. */
export const k3sContainerName = (prefix: string) => `${prefix}-k3s`;
export const registryContainerName = (prefix: string) => `${prefix}-registry`;

/** The containerd mirror that lets k3s pull `localhost:<port>/...` (what we push) from the registry container. */
export function k3sRegistriesYaml(registryPort: number, registryHost: string): string {
    return [
        "mirrors:",
        `  "localhost:${registryPort}":`,
        "    endpoint:",
        `      - "http://${registryHost}:${REGISTRY_CONTAINER_PORT}"`,
        "",
    ].join("\n");
}

/**
 * A k3s server and an image registry as Docker containers on a private network, with @pulumi/docker only.
 * Everything is published on 127.0.0.1 of the laptop; nothing but Docker and the Pulumi CLI is needed.
 */
export class LocalCluster extends pulumi.ComponentResource implements Cluster {
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** The provider waits for the cluster itself; nothing further to wait for. */
    public readonly readiness: ClusterReadiness = { pods: [], volumes: [] };
    public readonly registry: ImageRegistry;
    /** k3s's local-path provisioner is the default StorageClass. */
    public readonly storageClassName: undefined = undefined;
    public readonly edge: EdgeExposure;
    public readonly registryContainer: docker.Container;
    public readonly k3sContainer: docker.Container;

    constructor(name: string, args: LocalClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:cluster:LocalCluster", name, {}, opts);
        const prefix = args.clusterName;
        const registryHost = registryContainerName(prefix);

        const network = new docker.Network(`${name}-net`, { name: prefix, driver: "bridge" }, { parent: this });

        // --- Registry ---
        const registryImage = new docker.RemoteImage(
            `${name}-registry`,
            { name: args.registryImage ?? DEFAULT_REGISTRY_IMAGE, keepLocally: true },
            { parent: this },
        );
        const registryData = new docker.Volume(`${name}-registry-data`, { name: `${prefix}-registry-data` }, { parent: this });
        this.registryContainer = new docker.Container(
            `${name}-registry`,
            {
                name: registryHost,
                image: registryImage.imageId,
                restart: "unless-stopped",
                networksAdvanced: [{ name: network.name, aliases: [registryHost] }],
                ports: [{ internal: REGISTRY_CONTAINER_PORT, external: args.registryPort, ip: LOOPBACK }],
                volumes: [{ volumeName: registryData.name, containerPath: "/var/lib/registry" }],
            },
            // Fixed name, like the k3s container: a replacement (port or image change) must remove the old one first.
            // The images survive in the named volume.
            { parent: this, deleteBeforeReplace: true },
        );
        const repositoryBase = `localhost:${args.registryPort}/${args.imageNamespace}`;
        this.registry = {
            repositoryUrl: (imageName: string) => pulumi.output(`${repositoryBase}/${imageName}`),
            // Pushes need the registry only, never k3s: builds overlap cluster start-up.
            pushDependsOn: [this.registryContainer],
        };

        // --- k3s server ---
        const pki = new K3sPki(`${name}-pki`, { parent: this });
        const k3sImage = new docker.RemoteImage(`${name}-k3s`, { name: args.k3sImage ?? DEFAULT_K3S_IMAGE, keepLocally: true }, { parent: this });
        // Named after the CAs: k3s keeps the serving and client certificates it signed in this volume, so new CAs need
        // a new volume. A new name makes Pulumi create it, replace the container onto it, then delete the old one.
        const k3sData = new docker.Volume(
            `${name}-k3s-data`,
            { name: pki.authorityFingerprint.apply((fingerprint) => `${prefix}-k3s-data-${fingerprint}`) },
            { parent: this },
        );
        const registriesYaml = { file: "/etc/rancher/k3s/registries.yaml", content: k3sRegistriesYaml(args.registryPort, registryHost), permissions: "0644" };
        const entrypoint = { file: K3S_ENTRYPOINT_PATH, content: K3S_ENTRYPOINT_SCRIPT, executable: true };
        this.k3sContainer = new docker.Container(
            `${name}-k3s`,
            {
                name: k3sContainerName(prefix),
                hostname: k3sContainerName(prefix),
                image: k3sImage.imageId,
                command: [
                    "server",
                    `--tls-san=${LOOPBACK}`,
                    // The program ships its own nginx edge; ServiceLB stays on to publish it.
                    "--disable=traefik",
                    `--node-name=${prefix}-k3s`,
                    ...K3S_KUBELET_EVICTION_ARGS,
                ],
                // k3s in Docker runs containerd, kubelet and iptables/cgroup management inside the container, which needs
                // a privileged container (as in k3s's own docker-compose.yml). Dev only: published on loopback alone.
                privileged: true,
                // Pinned rather than left to daemon.json, as k3d pins them. A privileged container fails to start when
                // the daemon has `userns-remap` on, unless it opts out of the remapped namespace.
                usernsMode: "host",
                // docker-init is PID 1 and reaps zombies, as in k3d. `init: false` could not keep k3s PID 1 anyway: the
                // provider drops a false value and the daemon's default applies. k3s evacuates the cgroup v2 root only
                // as PID 1 (k3s-io/k3s#4086), so, like k3d's entrypoint fix, our entrypoint does it before exec'ing k3s.
                init: true,
                entrypoints: [K3S_ENTRYPOINT_PATH],
                tmpfs: { "/run": "", "/var/run": "" },
                ulimits: [
                    { name: "nproc", soft: 65535, hard: 65535 },
                    { name: "nofile", soft: 65535, hard: 65535 },
                ],
                restart: "unless-stopped",
                networksAdvanced: [{ name: network.name, aliases: [`${prefix}-k3s`] }],
                ports: [
                    { internal: K3S_API_PORT, external: args.apiPort, ip: LOOPBACK },
                    { internal: LOCAL_EDGE_SERVICE_PORT, external: args.edgeHostPort, ip: LOOPBACK },
                ],
                volumes: [{ volumeName: k3sData.name, containerPath: "/var/lib/rancher/k3s" }],
                // Uploaded after create and before first start, so k3s adopts our CAs instead of generating its own.
                uploads: pki.files.apply((files) => [entrypoint, registriesYaml, ...files]),
                // `pulumi up` returns from this container only once the API server answers, so the provider can connect.
                healthcheck: {
                    tests: ["CMD", "k3s", "kubectl", "get", "--raw=/readyz"],
                    interval: "5s",
                    timeout: "5s",
                    startPeriod: "10s",
                    retries: 60,
                },
                wait: true,
                waitTimeout: 300,
            },
            // The container's name is fixed, so a replacement (new CAs, ports, image) must remove the old one first.
            { parent: this, deleteBeforeReplace: true },
        );

        this.clusterName = pulumi.output(prefix);
        this.kubeconfig = pulumi.secret(
            pulumi.all([pki.serverCaCertPem, pki.adminCertPem, pki.adminKeyPem]).apply(([caCertPem, clientCertPem, clientKeyPem]) =>
                clientCertKubeconfig({ name: prefix, server: `https://${LOOPBACK}:${args.apiPort}`, caCertPem, clientCertPem, clientKeyPem }),
            ),
        );
        // The kubeconfig is computed from the PKI alone, so the wait on the running k3s container must be explicit.
        this.provider = kubernetesProvider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig },
            { parent: this, dependsOn: [this.k3sContainer] },
        );
        this.edge = { kind: "local", hostPort: args.edgeHostPort };

        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, registryUrl: `localhost:${args.registryPort}` });
    }
}
