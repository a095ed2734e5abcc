import { KubeClient, KubeObject } from "./client";
import { PollLoop } from "./poll-loop";

/**
 * A tiny dynamic volume provisioner, standing in for the EBS CSI driver (prod) and k3s' local-path
 * provisioner (dev) on the test control plane. It does what an external provisioner does, through
 * the same API: for a claim the PV controller has handed to one of our provisioners (annotation
 * `volume.kubernetes.io/storage-provisioner`), and, under WaitForFirstConsumer, once the scheduler
 * has picked a node (`volume.kubernetes.io/selected-node`), it creates a PersistentVolume bound to
 * the claim and pinned to that node's zone (EBS volumes are zonal). The PV controller in
 * kube-controller-manager then binds the pair, and the scheduler binds the waiting pod.
 */

interface Claim extends KubeObject {
    metadata: KubeObject["metadata"] & { uid: string; namespace: string; annotations?: Record<string, string> };
    spec: { storageClassName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } }; volumeMode?: string };
    status?: { phase?: string };
}

interface StorageClass extends KubeObject {
    provisioner: string;
    reclaimPolicy?: string;
    volumeBindingMode?: string;
}

const ZONE_LABEL = "topology.kubernetes.io/zone";
const HOSTNAME_LABEL = "kubernetes.io/hostname";
/** k3s' default provisioner: not a CSI driver, it makes hostPath volumes on the chosen node. */
const LOCAL_PATH = "rancher.io/local-path";

export class VolumeProvisioner {
    readonly provisioned: string[] = [];
    readonly loop = new PollLoop(() => this.reconcile());

    constructor(
        private readonly client: KubeClient,
        private readonly provisioners: readonly string[],
    ) {}

    private async reconcile(): Promise<void> {
        const claims = await this.client.list<Claim>("v1", "PersistentVolumeClaim");
        for (const claim of claims) {
            if (claim.status?.phase !== "Pending") {
                continue;
            }
            const annotations = claim.metadata.annotations ?? {};
            const provisioner = annotations["volume.kubernetes.io/storage-provisioner"];
            if (provisioner === undefined || !this.provisioners.includes(provisioner)) {
                continue;
            }
            const volumeName = `pvc-${claim.metadata.uid}`;
            if ((await this.client.get("v1", "PersistentVolume", undefined, volumeName)) !== undefined) {
                continue;
            }
            const storageClass = await this.client.get<StorageClass>("storage.k8s.io/v1", "StorageClass", undefined, claim.spec.storageClassName ?? "");
            if (storageClass === undefined) {
                continue;
            }
            const selectedNode = annotations["volume.kubernetes.io/selected-node"];
            if (storageClass.volumeBindingMode === "WaitForFirstConsumer" && selectedNode === undefined) {
                continue;
            }
            await this.client.call("POST", "/api/v1/persistentvolumes", {
                apiVersion: "v1",
                kind: "PersistentVolume",
                metadata: { name: volumeName, annotations: { "pv.kubernetes.io/provisioned-by": provisioner } },
                spec: {
                    capacity: { storage: claim.spec.resources?.requests?.storage ?? "1Gi" },
                    accessModes: claim.spec.accessModes ?? ["ReadWriteOnce"],
                    volumeMode: claim.spec.volumeMode ?? "Filesystem",
                    storageClassName: claim.spec.storageClassName,
                    persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? "Delete",
                    claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid },
                    ...(await this.volumeSource(provisioner, volumeName, selectedNode)),
                },
            });
            this.provisioned.push(`${claim.metadata.namespace}/${claim.metadata.name}`);
        }
    }

    /**
     * What the real provisioner would create: an EBS CSI volume pinned to the node's zone, or a
     * local-path hostPath volume pinned to the node itself.
     */
    private async volumeSource(provisioner: string, volumeName: string, selectedNode: string | undefined): Promise<Record<string, unknown>> {
        const pinTo = (key: string, value: string | undefined) =>
            value === undefined ? {} : { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: "In", values: [value] }] }] } } };
        if (provisioner === LOCAL_PATH) {
            return { hostPath: { path: `/var/lib/rancher/k3s/storage/${volumeName}`, type: "DirectoryOrCreate" }, ...pinTo(HOSTNAME_LABEL, selectedNode) };
        }
        const node = selectedNode === undefined ? undefined : await this.client.get<KubeObject & { metadata: { labels?: Record<string, string> } }>("v1", "Node", undefined, selectedNode);
        return { csi: { driver: provisioner, volumeHandle: volumeName, fsType: "ext4" }, ...pinTo(ZONE_LABEL, node?.metadata.labels?.[ZONE_LABEL]) };
    }
}
