/**
 * The EKS managed add-ons the cluster installs, and how their versions are chosen. No Pulumi import: the config
 * schema (stacks/) names the same add-ons.
 */

export const EKS_ADDONS = [
    "vpc-cni",
    "kube-proxy",
    "eks-pod-identity-agent",
    "coredns",
    "aws-ebs-csi-driver",
    "amazon-cloudwatch-observability",
] as const;
export type EksAddonName = (typeof EKS_ADDONS)[number];

/** Each add-on's key under `nsip:cluster.addonVersions` (config key paths are camelCase). */
export const EKS_ADDON_CONFIG_KEYS = {
    "vpc-cni": "vpcCni",
    "kube-proxy": "kubeProxy",
    "eks-pod-identity-agent": "podIdentityAgent",
    coredns: "coredns",
    "aws-ebs-csi-driver": "ebsCsiDriver",
    "amazon-cloudwatch-observability": "cloudwatchObservability",
} as const satisfies Record<EksAddonName, string>;
export type EksAddonConfigKey = (typeof EKS_ADDON_CONFIG_KEYS)[EksAddonName];

/**
 * `"default"`: the version EKS marks default for the cluster's Kubernetes version (DescribeAddonVersions'
 * `defaultVersion`), looked up at preview and written into the add-on, so the state records it and a preview shows
 * when EKS's default moves. Otherwise a published `vX.Y.Z-eksbuild.N`, used as given.
 */
export const EKS_DEFAULT_ADDON_VERSION = "default";
export type EksAddonVersion = string;

/** A published EKS add-on version: `v<major>.<minor>.<patch>-eksbuild.<build>`, as `aws eks describe-addon-versions` lists it. */
export const EKS_ADDON_VERSION = /^v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)$/;
