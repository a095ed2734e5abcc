import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesProvider } from "./kubernetes-provider";
import { createHash } from "crypto";
import { cidrsOverlap } from "./cidr";
import { EcrRegistry, EcrRegistryArgs } from "./ecr";
import { eksKubeconfig } from "./kubeconfig";
import { Cluster, ClusterReadiness, EdgeExposure } from "./types";
import { CONTAINER_INSIGHTS_LOG_GROUPS, containerInsightsLogGroupName, controlPlaneLogGroupName, RetainedData } from "./retained";
import { ClusterVpc, ClusterVpcArgs } from "./vpc";
import { recommendedLabels } from "../workload/labels";

/** Control-plane log types always sent to CloudWatch. */
export const BASE_LOG_TYPES = ["api", "audit", "authenticator"] as const;
export type ExtraLogType = "controllerManager" | "scheduler";

import { EKS_DEFAULT_ADDON_VERSION, EksAddonName, EksAddonVersion } from "./addons";

export { EKS_ADDONS, EksAddonName } from "./addons";

export const GP3_STORAGE_CLASS = "gp3-encrypted";

/** The log groups the CloudWatch observability add-on writes to, under `/aws/containerinsights/<cluster>/`. */
export { CONTAINER_INSIGHTS_LOG_GROUPS } from "./retained";

export interface EksNodeGroupArgs {
    /** EC2 instance types, e.g. `["m6i.large"]`. */
    instanceTypes: string[];
    minSize: number;
    maxSize: number;
    desiredSize: number;
    /** Root volume size (GiB) of each node; the volume is encrypted gp3. */
    diskSizeGiB: number;
    /** Managed node group AMI type, explicit so an EKS default change never replaces the nodes, e.g. `AL2023_x86_64_STANDARD`. */
    amiType: string;
    /** `ON_DEMAND` (default) or `SPOT`. */
    capacityType?: "ON_DEMAND" | "SPOT";
}

export interface EksClusterArgs {
    /** EKS cluster name (fixed, not auto-named: the log group `/aws/eks/<clusterName>/cluster` is derived from it). */
    clusterName: string;
    /** Kubernetes `major.minor`, e.g. `1.35`; undefined: the EKS default version. */
    kubernetesVersion?: string;
    /** Region for `aws eks get-token --region` in the kubeconfig; undefined: the cluster's own region output. */
    region?: string;
    /**
     * Kubernetes Service CIDR (RFC 1918, /12 to /24, outside the VPC). Set explicitly so the `kubernetes` Service's
     * ClusterIP (its first address) is known: the VPC CNI matches NetworkPolicies before that address is translated.
     */
    serviceCidr: string;
    /** VPC layout (CIDR, AZ count or names, NAT per AZ or single); the cluster name is filled in. */
    network: Omit<ClusterVpcArgs, "clusterName" | "flowLogs">;
    /**
     * CIDRs allowed to reach the public API endpoint (the private endpoint is always on). The config layer
     * rejects `0.0.0.0/0` for prod; this component passes the list through as given.
     */
    publicAccessCidrs: string[];
    /**
     * IAM principal ARNs (roles/users, not STS assumed-role session ARNs) that get an access entry with
     * AmazonEKSClusterAdminPolicy at cluster scope. The cluster creator gets no implicit admin, so the identity
     * that runs `pulumi up` must be in this list, or the Kubernetes resources cannot be created.
     */
    adminPrincipalArns: string[];
    /** Retention of the control-plane log group, in days (prod 90). */
    logRetentionDays: number;
    /** Log types beyond api, audit and authenticator. */
    extraLogTypes?: ExtraLogType[];
    nodeGroup: EksNodeGroupArgs;
    /**
     * Each add-on's version: a published `vX.Y.Z-eksbuild.N`, or `"default"` for the version EKS marks default for the
     * cluster's Kubernetes version, resolved at preview (aws.eks.getAddonVersion, mostRecent false). Either way the
     * add-on gets an explicit version, so the state records it and a preview shows any change.
     */
    addonVersions: Record<EksAddonName, EksAddonVersion>;
    /** ECR repositories for the images; see EcrRegistryArgs (protectData and adoption are taken from below). */
    registry: Omit<EcrRegistryArgs, "protectData" | "adoptRepositories">;
    /** Data an earlier stack retained on destroy (see retained.ts): adopted instead of created. */
    adopt?: RetainedData;
    /**
     * Prod: `protect` and `retainOnDelete` on the Secrets KMS key, the ECR repositories and the log group, and
     * `Retain` as the reclaim policy of the gp3 StorageClass. Never set in dev.
     */
    protectData: boolean;
}

const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

function assumeRolePolicy(service: string, actions: string[]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }],
    });
}

/** Deterministic, readable resource-name suffix for a principal ARN: its last path segment plus a short hash. */
function principalSlug(arn: string): string {
    const last = arn.split(/[/:]/).pop() ?? "principal";
    const hash = createHash("sha256").update(arn).digest("hex").slice(0, 6);
    return `${last.toLowerCase().replace(/[^a-z0-9-]/g, "-")}-${hash}`;
}

/**
 * EKS with @pulumi/aws only: VPC, IAM, KMS-encrypted Secrets, CloudWatch control-plane logs, API-mode access
 * entries, a managed node group on a hardened launch template, managed add-ons with Pod Identity, a default
 * encrypted gp3 StorageClass, and the ECR registry (independent of everything else here).
 */
export class EksCluster extends pulumi.ComponentResource implements Cluster {
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    public readonly readiness: ClusterReadiness;
    public readonly registry: EcrRegistry;
    public readonly storageClassName: pulumi.Output<string>;
    public readonly edge: EdgeExposure = { kind: "aws-nlb" };
    public readonly network: { vpcId: pulumi.Output<string>; privateSubnetIds: pulumi.Output<string[]>; publicSubnetIds: pulumi.Output<string[]> };
    public readonly endpoint: pulumi.Output<string>;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:cluster:EksCluster", name, {}, opts);
        if (args.adminPrincipalArns.length === 0) {
            throw new Error("EksCluster needs at least one admin principal ARN: without one nobody (not even pulumi) can use the cluster");
        }
        if (cidrsOverlap(args.serviceCidr, args.network.cidrBlock)) {
            throw new Error(`Service CIDR ${args.serviceCidr} overlaps the VPC CIDR ${args.network.cidrBlock}: EKS needs them apart`);
        }
        const dataOpts: pulumi.CustomResourceOptions = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };

        // Takes no input from the VPC, IAM or cluster below, so image pushes never wait for the cluster.
        this.registry = new EcrRegistry(
            `${name}-ecr`,
            { ...args.registry, protectData: args.protectData, adoptRepositories: args.adopt?.repositories },
            { parent: this },
        );

        const vpc = new ClusterVpc(`${name}-vpc`, { ...args.network, clusterName: args.clusterName, flowLogs: { retentionDays: args.logRetentionDays, protect: args.protectData } }, { parent: this });

        // --- IAM ---
        const clusterRole = new aws.iam.Role(`${name}-cluster`, { assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com", ["sts:AssumeRole"]) }, { parent: this });
        const clusterRolePolicy = new aws.iam.RolePolicyAttachment(
            `${name}-cluster-eks`,
            { role: clusterRole.name, policyArn: aws.iam.ManagedPolicy.AmazonEKSClusterPolicy },
            { parent: this },
        );
        const nodeRole = new aws.iam.Role(`${name}-node`, { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com", ["sts:AssumeRole"]) }, { parent: this });
        const nodeRolePolicies = [
            ["worker", aws.iam.ManagedPolicy.AmazonEKSWorkerNodePolicy],
            ["ecr-read", aws.iam.ManagedPolicy.AmazonEC2ContainerRegistryReadOnly],
            ["cni", aws.iam.ManagedPolicy.AmazonEKS_CNI_Policy],
        ].map(([suffix, policyArn]) => new aws.iam.RolePolicyAttachment(`${name}-node-${suffix}`, { role: nodeRole.name, policyArn }, { parent: this }));

        // --- Secrets envelope encryption and control-plane logs ---
        const secretsKey = new aws.kms.Key(
            `${name}-secrets`,
            { description: `EKS Secrets envelope encryption for ${args.clusterName}`, enableKeyRotation: true, deletionWindowInDays: 30 },
            dataOpts,
        );
        new aws.kms.Alias(`${name}-secrets`, { name: `alias/eks/${args.clusterName}-secrets`, targetKeyId: secretsKey.keyId }, { parent: this });
        // The key user grants terraform-aws-eks gives the cluster role: EKS encrypts and decrypts Secrets with this key
        // as the cluster role; the key policy's account root statement lets IAM policies grant that.
        const clusterEncryption = new aws.iam.RolePolicy(
            `${name}-cluster-encryption`,
            {
                role: clusterRole.id,
                policy: secretsKey.arn.apply((keyArn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: keyArn }],
                    }),
                ),
            },
            { parent: this },
        );

        // EKS writes to exactly this name; creating it first keeps retention (and deletion) under our control.
        const logGroupName = controlPlaneLogGroupName(args.clusterName);
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-control-plane`,
            { name: logGroupName, retentionInDays: args.logRetentionDays },
            { ...dataOpts, import: args.adopt?.controlPlaneLogGroup ? logGroupName : undefined },
        );

        // --- Control plane ---
        const cluster = new aws.eks.Cluster(
            name,
            {
                name: args.clusterName,
                version: args.kubernetesVersion,
                roleArn: clusterRole.arn,
                vpcConfig: {
                    subnetIds: vpc.privateSubnetIds,
                    endpointPrivateAccess: true,
                    endpointPublicAccess: true,
                    publicAccessCidrs: args.publicAccessCidrs,
                },
                kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: args.serviceCidr },
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
                encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
                enabledClusterLogTypes: [...BASE_LOG_TYPES, ...(args.extraLogTypes ?? [])],
                // The managed add-ons below replace the self-managed vpc-cni/kube-proxy/coredns EKS would install.
                bootstrapSelfManagedAddons: false,
                // EKS defaults to EXTENDED: a version past its 14 months of standard support then bills extended
                // support. STANDARD upgrades the cluster at the end of standard support instead.
                upgradePolicy: { supportType: "STANDARD" },
            },
            { parent: this, dependsOn: [logGroup, clusterRolePolicy, clusterEncryption] },
        );

        const adminAccess = args.adminPrincipalArns.map((principalArn) => {
            const slug = principalSlug(principalArn);
            const entry = new aws.eks.AccessEntry(`${name}-admin-${slug}`, { clusterName: cluster.name, principalArn, type: "STANDARD" }, { parent: this });
            return new aws.eks.AccessPolicyAssociation(
                `${name}-admin-${slug}`,
                { clusterName: cluster.name, principalArn: entry.principalArn, policyArn: CLUSTER_ADMIN_POLICY, accessScope: { type: "cluster" } },
                { parent: this },
            );
        });

        // --- Add-ons that nodes need to become Ready (networking, pod credentials) go in before the nodes ---
        const addonVersion = (addonName: EksAddonName): pulumi.Input<string> => {
            const wanted = args.addonVersions[addonName];
            if (wanted !== EKS_DEFAULT_ADDON_VERSION) return wanted;
            return aws.eks.getAddonVersionOutput({ addonName, kubernetesVersion: args.kubernetesVersion ?? cluster.version, mostRecent: false }, { parent: this }).version;
        };
        const addon = (addonName: EksAddonName, extra: Partial<aws.eks.AddonArgs>, addonOpts: pulumi.CustomResourceOptions = {}) =>
            new aws.eks.Addon(
                `${name}-${addonName}`,
                {
                    clusterName: cluster.name,
                    addonName,
                    addonVersion: addonVersion(addonName),
                    resolveConflictsOnCreate: "OVERWRITE",
                    resolveConflictsOnUpdate: "OVERWRITE",
                    ...extra,
                },
                { parent: this, ...addonOpts },
            );
        const vpcCni = addon("vpc-cni", { configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }) });
        const kubeProxy = addon("kube-proxy", {});
        const podIdentityAgent = addon("eks-pod-identity-agent", {});

        // --- Nodes ---
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-nodes`,
            {
                description: `Managed node group template for ${args.clusterName}`,
                // IMDSv2 only; hop limit 1 keeps pods (one hop further) off the node role's credentials.
                metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
                blockDeviceMappings: [
                    {
                        deviceName: "/dev/xvda",
                        ebs: { volumeSize: args.nodeGroup.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
                    },
                ],
                // No IAM instance profile and no security groups: EKS supplies the node role and the cluster security group.
                tagSpecifications: [{ resourceType: "instance", tags: { Name: `${args.clusterName}-node` } }],
            },
            { parent: this },
        );
        const nodeGroup = new aws.eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName: cluster.name,
                nodeRoleArn: nodeRole.arn,
                subnetIds: vpc.privateSubnetIds,
                instanceTypes: args.nodeGroup.instanceTypes,
                amiType: args.nodeGroup.amiType,
                capacityType: args.nodeGroup.capacityType ?? "ON_DEMAND",
                scalingConfig: { minSize: args.nodeGroup.minSize, maxSize: args.nodeGroup.maxSize, desiredSize: args.nodeGroup.desiredSize },
                updateConfig: { maxUnavailable: 1 },
                launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
            },
            // NAT routes (inside the VPC component) must exist for nodes to pull images and join.
            { parent: this, dependsOn: [vpc, ...nodeRolePolicies, vpcCni, kubeProxy, podIdentityAgent] },
        );

        // --- Add-ons whose pods need nodes to become healthy ---
        const ebsCsiRole = this.podIdentityRole(`${name}-ebs-csi`, aws.iam.ManagedPolicy.AmazonEBSCSIDriverPolicy);
        const cloudWatchRole = this.podIdentityRole(`${name}-cloudwatch`, aws.iam.ManagedPolicy.CloudWatchAgentServerPolicy);
        const coreDns = addon("coredns", {}, { dependsOn: [nodeGroup] });
        const ebsCsi = addon(
            "aws-ebs-csi-driver",
            { podIdentityAssociations: [{ serviceAccount: "ebs-csi-controller-sa", roleArn: ebsCsiRole.role.arn }] },
            { dependsOn: [nodeGroup, podIdentityAgent, ebsCsiRole.attachment] },
        );
        // The agent and Fluent Bit create these with no expiry unless they exist already. Kept on destroy in prod
        // (the containers' logs), so a later stack adopts them like the control-plane group.
        const containerInsightsLogGroups = CONTAINER_INSIGHTS_LOG_GROUPS.map((group) => {
            const groupName = containerInsightsLogGroupName(args.clusterName, group);
            return new aws.cloudwatch.LogGroup(
                `${name}-container-insights-${group}`,
                { name: groupName, retentionInDays: args.logRetentionDays },
                { ...dataOpts, import: args.adopt?.containerInsightsLogGroups.includes(groupName) ? groupName : undefined },
            );
        });
        // Container logs to CloudWatch (Fluent Bit) plus Container Insights; Pod Identity needs add-on >= v3.1.0.
        addon(
            "amazon-cloudwatch-observability",
            { podIdentityAssociations: [{ serviceAccount: "cloudwatch-agent", roleArn: cloudWatchRole.role.arn }] },
            { dependsOn: [nodeGroup, podIdentityAgent, cloudWatchRole.attachment, ...containerInsightsLogGroups] },
        );

        // --- Kubernetes access ---
        this.clusterName = cluster.name;
        this.endpoint = cluster.endpoint;
        const region = args.region !== undefined ? pulumi.output(args.region) : cluster.region;
        this.kubeconfig = pulumi.secret(
            pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority, region]).apply(([clusterName, server, ca, clusterRegion]) =>
                eksKubeconfig({ name: clusterName, clusterName, server, certificateAuthorityData: ca.data ?? "", region: clusterRegion }),
            ),
        );
        // The provider needs only our access: namespaces, Secrets, RBAC and the StorageClass go in while nodes
        // still join. Workloads wait for what they use (readiness); nothing waits for the observability add-on.
        this.provider = kubernetesProvider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: adminAccess });
        this.readiness = { pods: [nodeGroup, vpcCni, kubeProxy, podIdentityAgent, coreDns], volumes: [ebsCsi] };

        // EKS >= 1.30 no longer marks its gp2 class as default, so this is the only default; gp2 is left as EKS made it.
        const storageClass = new k8s.storage.v1.StorageClass(
            `${name}-${GP3_STORAGE_CLASS}`,
            {
                metadata: {
                    name: GP3_STORAGE_CLASS,
                    labels: recommendedLabels({ name: GP3_STORAGE_CLASS, component: "storage", instance: args.clusterName, version: args.kubernetesVersion ?? "default" }),
                    annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
                },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true" },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                reclaimPolicy: args.protectData ? "Retain" : "Delete",
            },
            { parent: this, provider: this.provider },
        );
        this.storageClassName = storageClass.metadata.name;

        this.network = { vpcId: vpc.vpcId, privateSubnetIds: vpc.privateSubnetIds, publicSubnetIds: vpc.publicSubnetIds };
        this.registerOutputs({
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            kubeconfig: this.kubeconfig,
            storageClassName: this.storageClassName,
            vpcId: this.network.vpcId,
        });
    }

    /** An IAM role that EKS Pod Identity can hand to an add-on's service account, with one managed policy. */
    private podIdentityRole(name: string, policyArn: string): { role: aws.iam.Role; attachment: aws.iam.RolePolicyAttachment } {
        const role = new aws.iam.Role(name, { assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]) }, { parent: this });
        const attachment = new aws.iam.RolePolicyAttachment(name, { role: role.name, policyArn }, { parent: this });
        return { role, attachment };
    }
}
