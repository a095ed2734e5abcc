import type { Json, JsonObject } from "../render/values";

/**
 * Which changed inputs make a provider replace a resource (delete and re-create) instead of updating it.
 * Transcribed from the providers' own sources, for the types this program creates:
 * - Kubernetes: pulumi-kubernetes `provider/pkg/provider/diff.go` (`forceNew`, `forceNewProperties`),
 *   the provider our engine tests build (tools/pulumi/versions.env). Identity (`metadata.name`,
 *   `metadata.namespace`) always replaces; Secret and ConfigMap contents replace unless the provider is
 *   configured mutable for them (ours is: `enableSecretMutable`, `enableConfigMapMutable`) and the object
 *   is not `immutable: true`.
 * - AWS: the `ForceNew` attributes of terraform-provider-aws' resource schemas (the provider @pulumi/aws
 *   bridges), under their Pulumi (camelCase) input names, plus its `CustomizeDiff` force-new conditions.
 * - docker, random, tls: every input of these resources forces a new one (their Terraform schemas mark all
 *   arguments ForceNew / RequiresReplace), except the few listed as updatable.
 * A path is dotted; `[*]` matches every list item. A field is "changed" when its value at the path differs.
 */

export interface ReplaceRule {
    path: string;
    /** Only a change that satisfies this replaces (e.g. removing a block that may be added in place). */
    when?: (before: Json | undefined, after: Json | undefined) => boolean;
    /** Shown after the field, e.g. "removed: envelope encryption cannot be turned off". */
    note?: string;
}

type Rules = Array<string | ReplaceRule>;

/** Everything replaces, except these top-level inputs. */
interface AllInputsRule {
    allExcept: string[];
}

const metadata: Rules = ["metadata.name", "metadata.namespace"];
const labelSelector = (prefix: string): Rules => [prefix];

const podContainerFields = [
    "args", "command", "env", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports", "readinessProbe", "resources",
    "securityContext", "stdin", "stdinOnce", "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices",
    "volumeMounts", "workingDir",
];

/** Keyed by `<group>/<version>:<Kind>`, the core group as `core`. */
const KUBERNETES: Record<string, Rules> = {
    "apps/v1:Deployment": labelSelector("spec.selector"),
    "apps/v1:DaemonSet": labelSelector("spec.selector"),
    "apps/v1:StatefulSet": [
        "spec.podManagementPolicy", "spec.revisionHistoryLimit", ...labelSelector("spec.selector"), "spec.serviceName", "spec.volumeClaimTemplates",
    ],
    "batch/v1:Job": ["spec.completions", "spec.parallelism", ...labelSelector("spec.selector"), "spec.template"],
    "core/v1:PersistentVolumeClaim": ["spec.accessModes", ...labelSelector("spec.selector"), "spec.storageClassName", "spec.volumeName"],
    "core/v1:PersistentVolume": [
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker", "gcePersistentDisk",
        "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO",
        "storageos", "vsphereVolume",
    ].map((source) => `spec.${source}`),
    "core/v1:Pod": [
        ...[
            "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks", "hostAliases", "hostIPC", "hostNetwork",
            "hostPID", "hostname", "imagePullSecrets", "nodeName", "nodeSelector", "overhead", "preemptionPolicy", "priority",
            "priorityClassName", "readinessGates", "restartPolicy", "runtimeClassName", "schedulerName", "securityContext", "serviceAccount",
            "serviceAccountName", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "volumes",
        ].map((field) => `spec.${field}`),
        ...podContainerFields.map((field) => `spec.containers[*].${field}`),
        ...podContainerFields.map((field) => `spec.initContainers[*].${field}`),
    ],
    "core/v1:ResourceQuota": ["spec.scopes"],
    "core/v1:Secret": ["type"],
    "core/v1:Service": ["spec.clusterIP"],
    "policy/v1beta1:PodDisruptionBudget": ["spec"],
    "rbac.authorization.k8s.io/v1:RoleBinding": ["roleRef"],
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ["roleRef"],
    "storage.k8s.io/v1:StorageClass": ["parameters", "provisioner"],
};

const s3BucketConfiguration: Rules = ["bucket", "expectedBucketOwner"];

const PULUMI_TYPES: Record<string, Rules | AllInputsRule> = {
    "aws:eks/cluster:Cluster": [
        "name", "roleArn", "bootstrapSelfManagedAddons", "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr", "outpostConfig", "remoteNetworkConfig",
        { path: "encryptionConfig", when: (before, after) => before != null && after == null, note: "removed: envelope encryption cannot be turned off" },
        { path: "computeConfig.nodeRoleArn", when: (before, after) => before != null && before !== after },
    ],
    "aws:eks/nodeGroup:NodeGroup": [
        "amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "launchTemplate.id", "launchTemplate.name", "nodeGroupName",
        "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds",
    ],
    "aws:eks/addon:Addon": ["addonName", "clusterName"],
    "aws:eks/accessEntry:AccessEntry": ["clusterName", "principalArn", "type"],
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ["accessScope", "clusterName", "policyArn", "principalArn"],
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": ["clusterName", "namespace", "serviceAccount"],
    "aws:ec2/vpc:Vpc": ["cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"],
    "aws:ec2/subnet:Subnet": ["availabilityZone", "availabilityZoneId", "cidrBlock", "ipv6Native", "outpostArn", "vpcId"],
    "aws:ec2/natGateway:NatGateway": ["allocationId", "connectivityType", "privateIp", "subnetId"],
    "aws:ec2/eip:Eip": ["address", "customerOwnedIpv4Pool", "domain", "networkBorderGroup", "publicIpv4Pool"],
    "aws:ec2/routeTable:RouteTable": ["vpcId"],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ["gatewayId", "subnetId"],
    "aws:ec2/launchTemplate:LaunchTemplate": ["name", "namePrefix"],
    "aws:iam/role:Role": ["name", "namePrefix", "path"],
    "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["policyArn", "role"],
    "aws:kms/key:Key": ["customKeyStoreId", "customerMasterKeySpec", "keySpec", "multiRegion", "xksKeyId"],
    "aws:kms/alias:Alias": ["name", "namePrefix"],
    "aws:cloudwatch/logGroup:LogGroup": ["logGroupClass", "name", "namePrefix"],
    "aws:ecr/repository:Repository": ["encryptionConfigurations", "name"],
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ["repository"],
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3BucketConfiguration,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket"],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": s3BucketConfiguration,
    "aws:s3/bucketVersioning:BucketVersioning": s3BucketConfiguration,
    "docker:index/container:Container": { allExcept: ["restart", "memory", "memorySwap", "cpuShares", "maxRetryCount"] },
    "docker:index/network:Network": { allExcept: [] },
    "docker:index/volume:Volume": { allExcept: [] },
    "docker:index/remoteImage:RemoteImage": { allExcept: ["keepLocally", "forceRemove"] },
    "docker:index/registryImage:RegistryImage": { allExcept: ["keepRemotely", "insecureSkipVerify"] },
    "docker:index/tag:Tag": { allExcept: [] },
    "random:index/randomPassword:RandomPassword": { allExcept: [] },
    "random:index/randomString:RandomString": { allExcept: [] },
    "random:index/randomId:RandomId": { allExcept: [] },
    "tls:index/privateKey:PrivateKey": { allExcept: [] },
    "tls:index/selfSignedCert:SelfSignedCert": { allExcept: ["earlyRenewalHours"] },
    "tls:index/locallySignedCert:LocallySignedCert": { allExcept: ["earlyRenewalHours"] },
    "tls:index/certRequest:CertRequest": { allExcept: [] },
};

/** What the Kubernetes provider is configured with (its resource's inputs): Secret/ConfigMap mutability. */
export interface KubernetesProviderFlags {
    enableSecretMutable: boolean;
    enableConfigMapMutable: boolean;
}

/**
 * The fields whose change makes the provider replace this resource, each as "`path`" or "`path` (note)".
 * Empty: the change is an in-place update.
 */
export function replacementReasons(type: string, before: JsonObject, after: JsonObject, flags: KubernetesProviderFlags): string[] {
    const rules = rulesFor(type, before, after, flags);
    if (rules === undefined) return [];
    if ("allExcept" in rules) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.filter((key) => !rules.allExcept.includes(key) && !sameJson(before[key], after[key])).map((key) => `\`${key}\``);
    }
    const reasons: string[] = [];
    const reported: string[] = [];
    for (const entry of rules) {
        const rule = typeof entry === "string" ? { path: entry } : entry;
        if (reported.some((ancestor) => rule.path.startsWith(`${ancestor}.`))) continue;
        const changed = changedAt(before, after, rule.path).filter(([, old, next]) => rule.when === undefined || rule.when(old, next));
        if (changed.length === 0) continue;
        reported.push(rule.path);
        reasons.push(`\`${rule.path}\`${rule.note ? ` (${rule.note})` : ""}`);
    }
    return reasons;
}

function rulesFor(type: string, before: JsonObject, after: JsonObject, flags: KubernetesProviderFlags): Rules | AllInputsRule | undefined {
    const kubernetes = /^kubernetes:([^:]+):(.+)$/.exec(type);
    if (kubernetes === null) return PULUMI_TYPES[type];
    const [, groupVersion, kind] = kubernetes;
    const immutable = before["immutable"] === true || after["immutable"] === true;
    const kindRules = KUBERNETES[`${groupVersion}:${kind}`] ?? [];
    if (groupVersion === "core/v1" && kind === "Secret" && (!flags.enableSecretMutable || immutable)) {
        return [...metadata, "type", "stringData", "data"];
    }
    if (groupVersion === "core/v1" && kind === "ConfigMap" && (!flags.enableConfigMapMutable || immutable)) {
        return [...metadata, "binaryData", "data"];
    }
    return [...metadata, ...kindRules];
}

/** Every concrete location the (possibly wildcarded) path reaches in either object, with both values, where they differ. */
function changedAt(before: JsonObject, after: JsonObject, path: string): Array<[string, Json | undefined, Json | undefined]> {
    const old = valuesAt(before, path);
    const next = valuesAt(after, path);
    const locations = [...new Set([...old.keys(), ...next.keys()])];
    return locations.filter((at) => !sameJson(old.get(at), next.get(at))).map((at) => [at, old.get(at), next.get(at)]);
}

function valuesAt(root: Json, path: string): Map<string, Json> {
    let current = new Map<string, Json>([["", root]]);
    for (const segment of path.split(".")) {
        const wildcard = segment.endsWith("[*]");
        const key = wildcard ? segment.slice(0, -3) : segment;
        const next = new Map<string, Json>();
        for (const [at, value] of current) {
            if (value === null || typeof value !== "object" || Array.isArray(value) || !(key in value)) continue;
            const child = value[key] as Json;
            const childAt = at === "" ? key : `${at}.${key}`;
            if (!wildcard) {
                next.set(childAt, child);
            } else if (Array.isArray(child)) {
                child.forEach((item, index) => next.set(`${childAt}[${index}]`, item));
            }
        }
        current = next;
    }
    return current;
}

export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
    return stableJson(a) === stableJson(b);
}

function stableJson(value: Json | undefined): string {
    if (value === undefined) return "undefined";
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    return `{${Object.keys(value)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`)
        .join(",")}}`;
}
