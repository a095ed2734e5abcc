import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { clusterDefaults } from "../stacks/profiles";
import { EKS_ADDONS, EksCluster, EksClusterArgs, GP3_STORAGE_CLASS } from "../components/cluster/eks";
import { ecrLifecyclePolicy } from "../components/cluster/ecr";
import { EKS_UNSUPPORTED_ZONE_IDS, eksZoneIds } from "../components/cluster/vpc";
import { eksServiceCidr, kubernetesServiceIp, parseCidr } from "../components/cluster/cidr";
import { findRetainedData } from "../components/cluster/retained";
import { isSecretOutput, MOCK_ACCOUNT, MOCK_ZONE_IDS, RecordedResource, ResourceRecorder, stopMocks, valueOf } from "./support/pulumi-mocks";

const T = {
    cluster: "aws:eks/cluster:Cluster",
    nodeGroup: "aws:eks/nodeGroup:NodeGroup",
    addon: "aws:eks/addon:Addon",
    accessEntry: "aws:eks/accessEntry:AccessEntry",
    accessPolicy: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    kmsKey: "aws:kms/key:Key",
    kmsAlias: "aws:kms/alias:Alias",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    nat: "aws:ec2/natGateway:NatGateway",
    routeTable: "aws:ec2/routeTable:RouteTable",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    ecrRepo: "aws:ecr/repository:Repository",
    ecrLifecycle: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    k8sProvider: "pulumi:providers:kubernetes",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
};

const ADMINS = ["arn:aws:iam::123456789012:role/platform-deployer", "arn:aws:iam::123456789012:role/oncall-admin"];

function prodArgs(overrides: Partial<EksClusterArgs> = {}): EksClusterArgs {
    return {
        clusterName: "nsip-prod",
        kubernetesVersion: "1.35",
        region: "eu-west-1",
        serviceCidr: "172.20.0.0/16",
        network: { cidrBlock: "10.20.0.0/16", availabilityZoneCount: 3, natGateways: "perAz" },
        publicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"],
        adminPrincipalArns: ADMINS,
        logRetentionDays: 90,
        extraLogTypes: ["controllerManager"],
        nodeGroup: { instanceTypes: ["m6i.large"], minSize: 3, maxSize: 6, desiredSize: 3, diskSizeGiB: 60, amiType: "AL2023_x86_64_STANDARD" },
        addonVersions: {
            "vpc-cni": "v1.20.4-eksbuild.2",
            "kube-proxy": "v1.35.3-eksbuild.2",
            "eks-pod-identity-agent": "default",
            coredns: "v1.13.2-eksbuild.4",
            "aws-ebs-csi-driver": "default",
            "amazon-cloudwatch-observability": "default",
        },
        registry: {
            imageNames: ["api", "analyzer", "frontend"],
            repositoryPrefix: "nsip",
            encryption: "KMS",
            untaggedExpiryDays: 14,
            keepTaggedImages: 30,
            deployedTags: { api: "0a1b2c3d4e5f6071", analyzer: "8293a4b5c6d7e8f9", frontend: "fedcba9876543210" },
        },
        protectData: true,
        ...overrides,
    };
}

async function build(args: EksClusterArgs, preview = false): Promise<{ recorder: ResourceRecorder; cluster: EksCluster }> {
    const recorder = await ResourceRecorder.start({ preview });
    const cluster = new EksCluster("prod", args);
    await recorder.settle();
    return { recorder, cluster };
}

function addon(recorder: ResourceRecorder, name: string): RecordedResource {
    const found = recorder.ofType(T.addon).filter((a) => a.inputs.addonName === name);
    assert.strictEqual(found.length, 1, `one ${name} add-on`);
    return found[0];
}

describe("cluster: EKS (prod args)", () => {
    let recorder: ResourceRecorder;
    let component: EksCluster;
    before(async () => {
        ({ recorder, cluster: component } = await build(prodArgs()));
    });
    after(stopMocks);

    it("encrypts Secrets with its own KMS key, rotation on, behind an alias", () => {
        const cluster = recorder.one(T.cluster);
        const key = recorder.one(T.kmsKey);
        assert.strictEqual(key.inputs.enableKeyRotation, true);
        assert.deepStrictEqual(cluster.inputs.encryptionConfig, { provider: { keyArn: key.outputs.arn }, resources: ["secrets"] });
        assert.ok(cluster.dependencies.includes(key.urn), "cluster waits for the key");
        const alias = recorder.one(T.kmsAlias);
        assert.strictEqual(alias.inputs.name, "alias/eks/nsip-prod-secrets");
        assert.strictEqual(alias.inputs.targetKeyId, key.outputs.keyId);
    });

    it("sends api, audit, authenticator (+ extras) to a log group with the configured retention, created before the cluster", () => {
        const cluster = recorder.one(T.cluster);
        assert.deepStrictEqual(cluster.inputs.enabledClusterLogTypes, ["api", "audit", "authenticator", "controllerManager"]);
        const logGroup = recorder.one(T.logGroup, "prod-control-plane");
        assert.strictEqual(logGroup.inputs.name, "/aws/eks/nsip-prod/cluster");
        assert.strictEqual(logGroup.inputs.retentionInDays, 90);
        assert.strictEqual(cluster.inputs.name, "nsip-prod", "the cluster name is fixed, matching the log group");
        assert.ok(cluster.dependencies.includes(logGroup.urn), "log group is a dependency of the cluster");
    });

    it("uses authentication mode API with one admin access entry + cluster-scope admin policy per principal", () => {
        const cluster = recorder.one(T.cluster);
        assert.deepStrictEqual(cluster.inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
        const entries = recorder.ofType(T.accessEntry);
        assert.deepStrictEqual(entries.map((e) => e.inputs.principalArn).sort(), [...ADMINS].sort());
        entries.forEach((e) => assert.strictEqual(e.inputs.clusterName, "nsip-prod"));
        const policies = recorder.ofType(T.accessPolicy);
        assert.deepStrictEqual(policies.map((p) => p.inputs.principalArn).sort(), [...ADMINS].sort());
        for (const policy of policies) {
            assert.strictEqual(policy.inputs.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
            assert.deepStrictEqual(policy.inputs.accessScope, { type: "cluster" });
            const entry = entries.find((e) => e.inputs.principalArn === policy.inputs.principalArn)!;
            assert.ok(policy.dependencies.includes(entry.urn), "association waits for its access entry");
        }
    });

    it("keeps the private endpoint on and limits the public endpoint to the configured CIDRs", () => {
        const vpcConfig = recorder.one(T.cluster).inputs.vpcConfig;
        assert.strictEqual(vpcConfig.endpointPrivateAccess, true);
        assert.strictEqual(vpcConfig.endpointPublicAccess, true);
        assert.deepStrictEqual(vpcConfig.publicAccessCidrs, ["203.0.113.0/24", "198.51.100.7/32"]);
    });

    it("opts out of extended support: the upgrade policy is STANDARD, set explicitly", () => {
        assert.deepStrictEqual(recorder.one(T.cluster).inputs.upgradePolicy, { supportType: "STANDARD" });
        assert.strictEqual(recorder.one(T.cluster).inputs.version, "1.35");
    });

    it("sets the Service CIDR explicitly, so the API's ClusterIP (its first address) is known to the NetworkPolicies", () => {
        assert.deepStrictEqual(recorder.one(T.cluster).inputs.kubernetesNetworkConfig, { ipFamily: "ipv4", serviceIpv4Cidr: "172.20.0.0/16" });
        assert.strictEqual(kubernetesServiceIp("172.20.0.0/16"), "172.20.0.1");
        assert.strictEqual(kubernetesServiceIp("10.100.0.0/16"), "10.100.0.1");
        // As EKS picks it: never overlapping the VPC.
        assert.strictEqual(eksServiceCidr("10.40.0.0/16"), "172.20.0.0/16");
        assert.strictEqual(eksServiceCidr("172.20.0.0/16"), "10.100.0.0/16");
        assert.strictEqual(eksServiceCidr("192.168.0.0/16"), "10.100.0.0/16");
    });

    it("gives the cluster role the key user grants on the Secrets key (as terraform-aws-eks does), before the cluster", () => {
        const key = recorder.one(T.kmsKey);
        const role = recorder.one(T.role, "prod-cluster");
        const grant = recorder.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.dependencies.includes(role.urn) && p.dependencies.includes(key.urn))!;
        assert.ok(grant, "an inline policy on the cluster role, for the key");
        const [statement] = JSON.parse(grant.inputs.policy).Statement;
        assert.deepStrictEqual(statement, { Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: key.outputs.arn });
        assert.ok(recorder.one(T.cluster).dependencies.includes(grant.urn));
    });

    it("sets the node AMI type explicitly", () => {
        assert.strictEqual(recorder.one(T.nodeGroup).inputs.amiType, "AL2023_x86_64_STANDARD");
    });

    it("creates the Container Insights log groups with a retention before the observability add-on", () => {
        const groups = recorder.ofType(T.logGroup).filter((g) => String(g.inputs.name).startsWith("/aws/containerinsights/"));
        assert.deepStrictEqual(groups.map((g) => g.inputs.name).sort(), ["application", "dataplane", "host", "performance"].map((g) => `/aws/containerinsights/nsip-prod/${g}`));
        const observability = addon(recorder, "amazon-cloudwatch-observability");
        for (const group of groups) {
            assert.strictEqual(group.inputs.retentionInDays, 90);
            assert.ok(observability.dependencies.includes(group.urn), `${group.inputs.name} before the agent writes to it`);
        }
    });

    it("locks the VPC's default security group down: no rule in, none out", () => {
        const sg = recorder.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
        assert.strictEqual(sg.inputs.vpcId, recorder.one(T.vpc).outputs.id ?? recorder.one(T.vpc).id);
        assert.deepStrictEqual([sg.inputs.ingress, sg.inputs.egress], [[], []]);
    });

    it("sends every VPC flow to CloudWatch Logs with the retention, through a role only VPC Flow Logs may assume", () => {
        const flowLog = recorder.one("aws:ec2/flowLog:FlowLog");
        assert.strictEqual(flowLog.inputs.trafficType, "ALL");
        assert.strictEqual(flowLog.inputs.logDestinationType, "cloud-watch-logs");
        const group = recorder.ofType(T.logGroup).find((g) => g.outputs.arn === flowLog.inputs.logDestination)!;
        assert.strictEqual(group.inputs.retentionInDays, 90);
        const role = recorder.ofType(T.role).find((r) => r.outputs.arn === flowLog.inputs.iamRoleArn)!;
        assert.match(role.inputs.assumeRolePolicy, /vpc-flow-logs\.amazonaws\.com/);
        const delivery = recorder.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => flowLog.dependencies.includes(p.urn))!;
        assert.deepStrictEqual(JSON.parse(delivery.inputs.policy).Statement[0].Resource, `${group.outputs.arn}:*`);
    });

    it("routes S3 (ECR layers, backups) from the private subnets through a gateway endpoint, not NAT", () => {
        const endpoint = recorder.one("aws:ec2/vpcEndpoint:VpcEndpoint");
        assert.strictEqual(endpoint.inputs.serviceName, "com.amazonaws.eu-west-1.s3");
        assert.strictEqual(endpoint.inputs.vpcEndpointType, "Gateway");
        const privateTables = recorder.ofType(T.routeTable).filter((t) => t.name.includes("private"));
        assert.deepStrictEqual([...endpoint.inputs.routeTableIds].sort(), privateTables.map((t) => t.outputs.id ?? t.id).sort());
        assert.strictEqual(privateTables.length, 3);
    });

    it("spreads private node subnets and public LB subnets over distinct AZs with the ELB role tags", () => {
        const subnets = recorder.ofType(T.subnet);
        const priv = subnets.filter((s) => s.inputs.tags["kubernetes.io/role/internal-elb"] === "1");
        const pub = subnets.filter((s) => s.inputs.tags["kubernetes.io/role/elb"] === "1");
        assert.strictEqual(priv.length, 3);
        assert.strictEqual(pub.length, 3);
        assert.strictEqual(priv.length + pub.length, subnets.length, "every subnet carries one ELB role tag");
        for (const group of [priv, pub]) {
            assert.deepStrictEqual(group.map((s) => s.inputs.availabilityZoneId).sort(), MOCK_ZONE_IDS, "one subnet per AZ, placed by zone ID");
            group.forEach((s) => assert.strictEqual(s.inputs.availabilityZone, undefined, "never by name: names map to zones per account"));
            group.forEach((s) => assert.strictEqual(s.inputs.tags["kubernetes.io/cluster/nsip-prod"], "shared"));
        }
        // All inside the VPC CIDR, none overlapping.
        const vpc = parseCidr(recorder.one(T.vpc).inputs.cidrBlock);
        const ranges = subnets.map((s) => parseCidr(s.inputs.cidrBlock)).map((c) => [c.address, c.address + 2 ** (32 - c.prefix)] as const);
        ranges.forEach(([start, end]) => assert.ok(start >= vpc.address && end <= vpc.address + 2 ** (32 - vpc.prefix)));
        ranges.forEach(([s1, e1], i) => ranges.forEach(([s2, e2], j) => assert.ok(i === j || e1 <= s2 || e2 <= s1, "subnets overlap")));
        // Control plane and nodes in the private subnets only.
        const privateIds = priv.map((s) => s.id).sort();
        assert.deepStrictEqual([...recorder.one(T.cluster).inputs.vpcConfig.subnetIds].sort(), privateIds);
        assert.deepStrictEqual([...recorder.one(T.nodeGroup).inputs.subnetIds].sort(), privateIds);
    });

    it("routes public subnets to the internet gateway and each private subnet to the NAT gateway of its AZ (perAz)", () => {
        const nats = recorder.ofType(T.nat);
        assert.strictEqual(nats.length, 3);
        const publicSubnetIds = recorder.ofType(T.subnet).filter((s) => s.inputs.tags["kubernetes.io/role/elb"] === "1").map((s) => s.id);
        nats.forEach((n) => assert.ok(publicSubnetIds.includes(n.inputs.subnetId), "NAT gateways live in public subnets"));
        const privateTables = recorder.ofType(T.routeTable).filter((t) => t.inputs.routes[0].natGatewayId !== undefined);
        assert.deepStrictEqual(privateTables.map((t) => t.inputs.routes[0].natGatewayId).sort(), nats.map((n) => n.id).sort());
        const publicTable = recorder.ofType(T.routeTable).filter((t) => t.inputs.routes[0].gatewayId !== undefined);
        assert.strictEqual(publicTable.length, 1);
        assert.strictEqual(publicTable[0].inputs.routes[0].cidrBlock, "0.0.0.0/0");
        assert.strictEqual(recorder.ofType(T.routeTableAssociation).length, 6, "every subnet is associated with a route table");
    });

    it("runs nodes on a launch template with IMDSv2 required, hop limit 1, an encrypted gp3 root volume and no instance profile", () => {
        const lt = recorder.one(T.launchTemplate);
        assert.deepStrictEqual(lt.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        assert.strictEqual(lt.inputs.blockDeviceMappings.length, 1);
        assert.deepStrictEqual(lt.inputs.blockDeviceMappings[0].ebs, { volumeSize: 60, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" });
        assert.strictEqual(lt.inputs.iamInstanceProfile, undefined);
        assert.strictEqual(lt.inputs.vpcSecurityGroupIds, undefined, "EKS adds the cluster security group");
        const ng = recorder.one(T.nodeGroup);
        assert.deepStrictEqual(ng.inputs.launchTemplate, { id: lt.id, version: "1" });
        assert.deepStrictEqual(ng.inputs.scalingConfig, { minSize: 3, maxSize: 6, desiredSize: 3 });
        assert.deepStrictEqual(ng.inputs.instanceTypes, ["m6i.large"]);
        assert.strictEqual(ng.inputs.diskSize, undefined, "disk size comes from the launch template");
    });

    it("gives the node role exactly the worker, ECR read-only and CNI policies", () => {
        const nodeRole = recorder.one(T.role, "prod-node");
        assert.deepStrictEqual(JSON.parse(nodeRole.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "ec2.amazonaws.com" });
        const attached = recorder.ofType(T.rolePolicy).filter((a) => a.inputs.role === nodeRole.outputs.name).map((a) => a.inputs.policyArn).sort();
        assert.deepStrictEqual(attached, [
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        ]);
        assert.strictEqual(recorder.one(T.nodeGroup).inputs.nodeRoleArn, nodeRole.outputs.arn);
    });

    it("installs all six managed add-ons, OVERWRITE on update, pinned versions passed through", () => {
        const names = recorder.ofType(T.addon).map((a) => a.inputs.addonName).sort();
        assert.deepStrictEqual(names, [...EKS_ADDONS].sort());
        assert.strictEqual(names.length, 6);
        for (const a of recorder.ofType(T.addon)) {
            assert.strictEqual(a.inputs.resolveConflictsOnUpdate, "OVERWRITE");
            assert.strictEqual(a.inputs.clusterName, "nsip-prod");
        }
        assert.strictEqual(addon(recorder, "vpc-cni").inputs.addonVersion, "v1.20.4-eksbuild.2");
        assert.strictEqual(addon(recorder, "kube-proxy").inputs.addonVersion, "v1.35.3-eksbuild.2");
        assert.strictEqual(addon(recorder, "coredns").inputs.addonVersion, "v1.13.2-eksbuild.4");
    });

    it('gives every add-on an explicit version: "default" is EKS\'s default for the cluster\'s minor, looked up at preview', () => {
        const lookups = recorder.invokes.filter((call) => call.token === "aws:eks/getAddonVersion:getAddonVersion");
        assert.deepStrictEqual(
            lookups.map((call) => call.inputs).sort((a, b) => a.addonName.localeCompare(b.addonName)),
            ["amazon-cloudwatch-observability", "aws-ebs-csi-driver", "eks-pod-identity-agent"].map((addonName) => ({ addonName, kubernetesVersion: "1.35", mostRecent: false })),
            "only the add-ons left to EKS's default are looked up, for the configured minor, never the most recent build",
        );
        for (const call of lookups) {
            assert.match(call.result.version, /^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
            assert.strictEqual(addon(recorder, call.inputs.addonName).inputs.addonVersion, call.result.version, `${call.inputs.addonName} records the resolved version`);
        }
        for (const a of recorder.ofType(T.addon)) assert.match(a.inputs.addonVersion, /^v\d+\.\d+\.\d+-eksbuild\.\d+$/, `${a.inputs.addonName} has a version in the state`);
    });

    it("turns on VPC CNI network policy enforcement", () => {
        const values = JSON.parse(addon(recorder, "vpc-cni").inputs.configurationValues);
        assert.deepStrictEqual(values, { enableNetworkPolicy: "true" });
    });

    it("gives the EBS CSI driver and CloudWatch agent Pod Identity roles with their managed policies", () => {
        const cases = [
            { addon: "aws-ebs-csi-driver", serviceAccount: "ebs-csi-controller-sa", role: "prod-ebs-csi", policy: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" },
            { addon: "amazon-cloudwatch-observability", serviceAccount: "cloudwatch-agent", role: "prod-cloudwatch", policy: "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy" },
        ];
        const agent = addon(recorder, "eks-pod-identity-agent");
        for (const c of cases) {
            const role = recorder.one(T.role, c.role);
            const statement = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
            assert.deepStrictEqual(statement.Principal, { Service: "pods.eks.amazonaws.com" });
            assert.deepStrictEqual([...statement.Action].sort(), ["sts:AssumeRole", "sts:TagSession"]);
            const attached = recorder.ofType(T.rolePolicy).filter((a) => a.inputs.role === role.outputs.name).map((a) => a.inputs.policyArn);
            assert.deepStrictEqual(attached, [c.policy]);
            const a = addon(recorder, c.addon);
            assert.deepStrictEqual(a.inputs.podIdentityAssociations, [{ serviceAccount: c.serviceAccount, roleArn: role.outputs.arn }]);
            assert.ok(a.dependencies.includes(agent.urn), `${c.addon} waits for the Pod Identity agent`);
        }
    });

    it("installs networking add-ons before the nodes and pod-running add-ons after them", () => {
        const nodeGroup = recorder.one(T.nodeGroup);
        for (const name of ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) {
            assert.ok(nodeGroup.dependencies.includes(addon(recorder, name).urn), `node group waits for ${name}`);
        }
        for (const name of ["coredns", "aws-ebs-csi-driver", "amazon-cloudwatch-observability"]) {
            assert.ok(addon(recorder, name).dependencies.includes(nodeGroup.urn), `${name} waits for the node group`);
        }
        // Nodes need NAT egress before they can join.
        const privateAssociations = recorder.ofType(T.routeTableAssociation).filter((a) => a.name.includes("private"));
        privateAssociations.forEach((a) => assert.ok(nodeGroup.dependencies.includes(a.urn)));
        assert.strictEqual(recorder.one(T.cluster).inputs.bootstrapSelfManagedAddons, false);
    });

    it("creates the default gp3-encrypted StorageClass through the cluster's provider", async () => {
        const sc = recorder.one(T.storageClass);
        assert.strictEqual(sc.inputs.metadata.name, GP3_STORAGE_CLASS);
        assert.strictEqual(sc.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
        assert.strictEqual(sc.inputs.provisioner, "ebs.csi.aws.com");
        assert.deepStrictEqual(sc.inputs.parameters, { type: "gp3", encrypted: "true" });
        assert.strictEqual(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
        assert.strictEqual(sc.inputs.allowVolumeExpansion, true);
        assert.strictEqual(sc.inputs.reclaimPolicy, "Retain", "prod keeps volumes after their claim is deleted");
        assert.strictEqual(sc.provider, recorder.one(T.k8sProvider).urn);
        assert.strictEqual(await valueOf(component.storageClassName), GP3_STORAGE_CLASS);
    });

    it("builds a secret kubeconfig that authenticates with aws eks get-token, and the one provider from it", async () => {
        assert.ok(await isSecretOutput(component.kubeconfig));
        const kubeconfig = JSON.parse(await valueOf(component.kubeconfig));
        assert.strictEqual(kubeconfig.clusters[0].cluster.server, recorder.one(T.cluster).outputs.endpoint);
        assert.ok(kubeconfig.clusters[0].cluster["certificate-authority-data"].length > 0);
        assert.deepStrictEqual(kubeconfig.users[0].user.exec.command, "aws");
        assert.deepStrictEqual(kubeconfig.users[0].user.exec.args, ["eks", "get-token", "--cluster-name", "nsip-prod", "--output", "json", "--region", "eu-west-1"]);
        assert.strictEqual(kubeconfig["current-context"], "nsip-prod");

        const provider = recorder.one(T.k8sProvider);
        assert.ok(provider.secretInputs.includes("kubeconfig"));
        assert.deepStrictEqual(JSON.parse(provider.inputs.kubeconfig), kubeconfig);
        assert.strictEqual(String(provider.inputs.enableServerSideApply), "true");
        const upstream = recorder.upstream(provider);
        for (const association of recorder.ofType(T.accessPolicy)) {
            assert.ok(upstream.has(association.urn), "provider waits until the admins have access");
        }
    });

    it("the provider waits for access only: no node group, no add-on; workloads get what they need from readiness", async () => {
        const upstream = recorder.upstream(recorder.one(T.k8sProvider));
        assert.ok(!upstream.has(recorder.one(T.nodeGroup).urn), "namespaces and Secrets need no nodes");
        assert.deepStrictEqual(recorder.ofType(T.addon).filter((a) => upstream.has(a.urn)).map((a) => a.inputs.addonName), []);
        const names = async (resources: pulumi.Resource[]) => Promise.all(resources.map((r) => valueOf((r as pulumi.CustomResource).urn)));
        const addonUrn = (addonName: string) => addon(recorder, addonName).urn;
        assert.deepStrictEqual(
            (await names(component.readiness.pods)).sort(),
            [recorder.one(T.nodeGroup).urn, addonUrn("vpc-cni"), addonUrn("kube-proxy"), addonUrn("eks-pod-identity-agent"), addonUrn("coredns")].sort(),
        );
        assert.deepStrictEqual(await names(component.readiness.volumes), [addonUrn("aws-ebs-csi-driver")]);
    });

    it("exposes endpoint, network ids, cluster name and an aws-nlb edge", async () => {
        assert.strictEqual(await valueOf(component.endpoint), recorder.one(T.cluster).outputs.endpoint);
        assert.strictEqual(await valueOf(component.clusterName), "nsip-prod");
        assert.strictEqual(await valueOf(component.network.vpcId), recorder.one(T.vpc).id);
        assert.deepStrictEqual(await valueOf(component.network.privateSubnetIds), [0, 1, 2].map((i) => recorder.one(T.subnet, `prod-vpc-private-${i}`).id));
        assert.deepStrictEqual(await valueOf(component.network.publicSubnetIds), [0, 1, 2].map((i) => recorder.one(T.subnet, `prod-vpc-public-${i}`).id));
        assert.deepStrictEqual(component.edge, { kind: "aws-nlb" });
    });

    it("creates one ECR repository per image: scan on push, immutable tags, KMS encryption, no force delete, lifecycle policy", async () => {
        const repos = recorder.ofType(T.ecrRepo);
        assert.deepStrictEqual(repos.map((r) => r.inputs.name).sort(), ["nsip/analyzer", "nsip/api", "nsip/frontend"]);
        for (const repo of repos) {
            assert.deepStrictEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
            assert.strictEqual(repo.inputs.imageTagMutability, "IMMUTABLE");
            assert.deepStrictEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "KMS" }]);
            assert.strictEqual(repo.inputs.forceDelete, false);
            const lifecycle = recorder.ofType(T.ecrLifecycle).filter((l) => l.inputs.repository === repo.inputs.name);
            assert.strictEqual(lifecycle.length, 1);
            const rules = JSON.parse(lifecycle[0].inputs.policy).rules;
            const deployed = prodArgs().registry.deployedTags![repo.inputs.name.replace("nsip/", "")];
            assert.deepStrictEqual(rules.map((r: any) => r.rulePriority), [1, 2, 3]);
            assert.deepStrictEqual(rules.map((r: any) => r.selection), [
                { tagStatus: "tagged", tagPatternList: [deployed], countType: "imageCountMoreThan", countNumber: 1 },
                { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 },
                { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: 30 },
            ]);
            rules.forEach((r: any) => assert.deepStrictEqual(r.action, { type: "expire" }));
        }
        assert.strictEqual(await valueOf(component.registry.repositoryUrl("api")), `${MOCK_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/nsip/api`);
        assert.throws(() => component.registry.repositoryUrl("worker"), /no ECR repository for image "worker"/);
    });

    it("ECR lifecycle: the deployed tag is claimed first and never expired; without one, the two plain rules; no wildcard may be claimed", () => {
        // ECR applies rules by priority, expires an image by at most one rule, and a rule of lower priority cannot expire
        // an image whose tags a higher rule matched. Under immutable tags the claimed tag is one image, never above 1.
        const [claim, untagged, tagged] = JSON.parse(ecrLifecyclePolicy(7, 30, "0a1b2c3d4e5f6071")).rules;
        assert.deepStrictEqual(claim, {
            rulePriority: 1,
            description: "Never expire 0a1b2c3d4e5f6071, the image this stack deploys",
            selection: { tagStatus: "tagged", tagPatternList: ["0a1b2c3d4e5f6071"], countType: "imageCountMoreThan", countNumber: 1 },
            action: { type: "expire" },
        });
        assert.strictEqual(untagged.selection.tagStatus, "untagged");
        assert.strictEqual(tagged.selection.countNumber, 30);
        assert.ok(!JSON.stringify(JSON.parse(ecrLifecyclePolicy(7, 30, "0a1b2c3d4e5f6071")).rules).includes('"any"'), "no rule selects every image");
        assert.deepStrictEqual(JSON.parse(ecrLifecyclePolicy(7, 30)).rules.map((r: any) => [r.rulePriority, r.selection.tagStatus]), [[1, "untagged"], [2, "tagged"]]);
        assert.throws(() => ecrLifecyclePolicy(7, 30, "release*"), /not a literal image tag/);
    });

    it("gets push credentials from an ECR authorization token for the repositories' registry, as a secret", async () => {
        assert.ok(component.registry.credentials);
        assert.ok(await isSecretOutput(component.registry.credentials));
        const tokenCalls = recorder.invokes.filter((i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken");
        assert.deepStrictEqual(await valueOf(component.registry.credentials), {
            server: `${MOCK_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`,
            username: "AWS",
            password: tokenCalls[0].result.password,
        });
        assert.strictEqual(tokenCalls.length, 1);
        assert.strictEqual(tokenCalls[0].inputs.registryId, MOCK_ACCOUNT);
    });

    it("keeps image pushes independent of the cluster: repositories have no path to the VPC, cluster or node group", async () => {
        const pushDeps = await Promise.all(component.registry.pushDependsOn.map((r) => valueOf(r.urn)));
        const repos = recorder.ofType(T.ecrRepo);
        assert.deepStrictEqual(pushDeps.sort(), repos.map((r) => r.urn).sort(), "pushDependsOn is exactly the ECR repositories");
        const forbidden = new Set(
            recorder.resources.filter((r) => [T.cluster, T.nodeGroup, T.vpc, T.subnet, T.nat, T.launchTemplate, T.addon].includes(r.type)).map((r) => r.urn),
        );
        assert.ok(forbidden.size > 0);
        for (const repo of [...repos, ...recorder.ofType(T.ecrLifecycle)]) {
            const reached = [...recorder.upstream(repo)].filter((urn) => forbidden.has(urn));
            assert.deepStrictEqual(reached, [], `${repo.name} must not wait for cluster resources`);
        }
    });

    it("protects and retains the KMS key, ECR repositories and log group in prod, and nothing else", () => {
        // Every log group: the control plane's, the flow logs, Container Insights' four.
        const expected = [...recorder.ofType(T.kmsKey), ...recorder.ofType(T.ecrRepo), ...recorder.ofType(T.logGroup)].map((r) => r.urn).sort();
        assert.strictEqual(expected.length, 10);
        assert.deepStrictEqual(recorder.resources.filter((r) => r.protect).map((r) => r.urn).sort(), expected);
        assert.deepStrictEqual(recorder.resources.filter((r) => r.retainOnDelete).map((r) => r.urn).sort(), expected);
    });
});

describe("cluster: EKS (cheaper, unprotected args)", () => {
    let recorder: ResourceRecorder;
    before(async () => {
        ({ recorder } = await build(
            prodArgs({
                clusterName: "nsip-staging",
                region: undefined,
                network: { cidrBlock: "10.30.0.0/16", availabilityZoneCount: 2, availabilityZoneIds: ["use1-az1", "use1-az6"], natGateways: "single" },
                extraLogTypes: undefined,
                adminPrincipalArns: [ADMINS[0]],
                registry: {
                    imageNames: ["api"],
                    repositoryPrefix: "nsip-staging",
                    encryption: "AES256",
                    untaggedExpiryDays: 3,
                    keepTaggedImages: 5,
                    mutableTagPatterns: ["cache*"],
                },
                protectData: false,
            }),
        ));
    });
    after(stopMocks);

    it("protects nothing and retains nothing when protectData is off", () => {
        assert.deepStrictEqual(recorder.resources.filter((r) => r.protect || r.retainOnDelete).map((r) => r.name), []);
        assert.strictEqual(recorder.one(T.storageClass).inputs.reclaimPolicy, "Delete");
    });

    it("uses a single NAT gateway for every private subnet", () => {
        const nats = recorder.ofType(T.nat);
        assert.strictEqual(nats.length, 1);
        const privateTables = recorder.ofType(T.routeTable).filter((t) => t.inputs.routes[0].natGatewayId !== undefined);
        assert.strictEqual(privateTables.length, 2);
        privateTables.forEach((t) => assert.strictEqual(t.inputs.routes[0].natGatewayId, nats[0].id));
    });

    it("places the two AZs' subnets in the zone IDs given, without looking them up", () => {
        const azs = recorder.ofType(T.subnet).map((s) => s.inputs.availabilityZoneId);
        assert.deepStrictEqual([...new Set(azs)].sort(), ["use1-az1", "use1-az6"]);
        assert.strictEqual(recorder.invokes.filter((i) => i.token === "aws:index/getAvailabilityZones:getAvailabilityZones").length, 0);
    });

    it("sends only the three base log types and takes --region from the cluster", async () => {
        assert.deepStrictEqual(recorder.one(T.cluster).inputs.enabledClusterLogTypes, ["api", "audit", "authenticator"]);
        const kubeconfig = JSON.parse(recorder.one(T.k8sProvider).inputs.kubeconfig);
        assert.deepStrictEqual(kubeconfig.users[0].user.exec.args.slice(-2), ["--region", "eu-west-1"]);
    });

    it("keeps configured tag patterns mutable (e.g. a build cache tag) and everything else immutable, AES256", () => {
        const repo = recorder.one(T.ecrRepo);
        assert.strictEqual(repo.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
        assert.deepStrictEqual(repo.inputs.imageTagMutabilityExclusionFilters, [{ filter: "cache*", filterType: "WILDCARD" }]);
        assert.deepStrictEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
    });
});

describe("cluster: EKS argument guards", () => {
    after(stopMocks);

    it("refuses an empty admin list (nobody could use the cluster)", async () => {
        await ResourceRecorder.start();
        assert.throws(() => new EksCluster("x", prodArgs({ adminPrincipalArns: [] })), /at least one admin principal/);
    });

    it("refuses a Service CIDR that overlaps the VPC", async () => {
        const recorder = await ResourceRecorder.start();
        assert.throws(() => new EksCluster("x", prodArgs({ serviceCidr: "10.20.128.0/20" })), /Service CIDR 10\.20\.128\.0\/20 overlaps the VPC CIDR 10\.20\.0\.0\/16/);
        await recorder.settle();
    });

    it("refuses fewer than two AZs", async () => {
        const recorder = await ResourceRecorder.start();
        assert.throws(() => new EksCluster("x", prodArgs({ network: { cidrBlock: "10.0.0.0/16", availabilityZoneCount: 1, natGateways: "single" } })), /from 2 to 4/);
        await recorder.settle();
    });
});

describe("cluster: EKS availability zones, by zone ID from those EKS supports", () => {
    after(stopMocks);
    // us-east-1 as an account might see it: names map to zones per account, so use1-az3 may be called anything.
    const US_EAST_1 = {
        names: ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
        zoneIds: ["use1-az6", "use1-az3", "use1-az1", "use1-az4", "use1-az2", "use1-az5"],
    };
    const zonesMock = (zones: { names: string[]; zoneIds: string[] }) => ({
        "aws:index/getAvailabilityZones:getAvailabilityZones": (inputs: Record<string, any>) => ({ id: "us-east-1", state: inputs.state, ...zones, groupNames: ["us-east-1"] }),
    });
    const buildIn = async (zones: { names: string[]; zoneIds: string[] }, availabilityZoneCount: number) => {
        const recorder = await ResourceRecorder.start({ invokeOverrides: zonesMock(zones) });
        new EksCluster("prod", prodArgs({ region: "us-east-1", network: { cidrBlock: "10.20.0.0/16", availabilityZoneCount, natGateways: "perAz" } }));
        await recorder.settle();
        return recorder;
    };

    it("skips use1-az3 (EKS refuses cluster subnets there) and takes the lowest zone IDs, the same in every account", async () => {
        const recorder = await buildIn(US_EAST_1, 4);
        const lookup = recorder.invokes.find((call) => call.token === "aws:index/getAvailabilityZones:getAvailabilityZones");
        assert.strictEqual(lookup?.inputs.state, "available");
        assert.deepStrictEqual(lookup?.inputs.filters, [{ name: "opt-in-status", values: ["opt-in-not-required"] }]);
        const byIndex = (kind: "private" | "public") =>
            [0, 1, 2, 3].map((i) => recorder.one(T.subnet, `prod-vpc-${kind}-${i}`).inputs.availabilityZoneId);
        assert.deepStrictEqual(byIndex("private"), ["use1-az1", "use1-az2", "use1-az4", "use1-az5"]);
        assert.deepStrictEqual(byIndex("public"), byIndex("private"), "each AZ's public subnet sits beside its private one");
        assert.ok(!recorder.ofType(T.subnet).some((s) => s.inputs.availabilityZoneId === "use1-az3"));
        // The control plane and the nodes get exactly those private subnets.
        const privateIds = [0, 1, 2, 3].map((i) => recorder.one(T.subnet, `prod-vpc-private-${i}`).id).sort();
        assert.deepStrictEqual([...recorder.one(T.cluster).inputs.vpcConfig.subnetIds].sort(), privateIds);
    });

    it("fails naming the excluded zone when too few supported zones remain", () => {
        assert.throws(
            () => eksZoneIds(["usw1-az2", "usw1-az1"], 2),
            /^Error: the region has 1 available standard AZs that EKS supports \(usw1-az1; usw1-az2 excluded: EKS refuses cluster subnets there\), fewer than availabilityZoneCount 2$/,
        );
    });

    it("refuses an explicit zone ID EKS does not support, before anything is registered", () => {
        assert.throws(
            () => new EksCluster("x", prodArgs({ network: { cidrBlock: "10.20.0.0/16", availabilityZoneCount: 2, availabilityZoneIds: ["cac1-az1", "cac1-az3"], natGateways: "single" } })),
            /availabilityZoneIds lists cac1-az3, where EKS refuses cluster subnets/,
        );
    });

    it("eksZoneIds: every listed unsupported zone is dropped, the rest sorted by zone ID (numerically)", () => {
        for (const refused of EKS_UNSUPPORTED_ZONE_IDS) {
            const region = refused.replace(/-az\d+$/, "");
            const ids = [`${region}-az10`, refused, `${region}-az5`, `${region}-az1`];
            assert.deepStrictEqual(eksZoneIds(ids, 3), [`${region}-az1`, `${region}-az5`, `${region}-az10`]);
        }
    });
});

describe("cluster: EKS under preview (unknown outputs)", () => {
    after(stopMocks);

    it("registers the whole graph without throwing while cluster outputs are unknown", async () => {
        const { recorder, cluster } = await build(prodArgs(), true);
        assert.ok(pulumi.runtime.isDryRun());
        assert.strictEqual(recorder.ofType(T.addon).length, 6);
        assert.strictEqual(recorder.ofType(T.ecrRepo).length, 3);
        const provider = recorder.one(T.k8sProvider);
        assert.strictEqual(provider.inputs.kubeconfig, undefined, "kubeconfig is unknown until the cluster exists");
        assert.strictEqual(recorder.one(T.nodeGroup).inputs.launchTemplate.version, undefined);
        assert.strictEqual(await (cluster.kubeconfig as any).isKnown, false);
        assert.strictEqual(await (cluster.endpoint as any).isKnown, false);
        assert.ok(recorder.one(T.storageClass));
    });
});

describe("cluster: Kubernetes versions", () => {
    it("the prod default minor is the test control plane's minor (tools/k8s/versions.env)", () => {
        const env = fs.readFileSync(path.join(__dirname, "..", "tools", "k8s", "versions.env"), "utf8");
        const controlPlane = /^KUBERNETES_VERSION=(\d+\.\d+)\.\d+$/m.exec(env)?.[1];
        assert.ok(controlPlane, "versions.env pins KUBERNETES_VERSION=<major>.<minor>.<patch>");
        const prod = clusterDefaults("prod", "prod", undefined);
        assert.strictEqual(prod.provider, "eks");
        assert.strictEqual(prod.provider === "eks" ? prod.kubernetesVersion : undefined, controlPlane);
    });
});

describe("cluster: EKS data retained by an earlier stack", () => {
    after(stopMocks);

    it("adopts the control-plane log group and the repositories that exist (import option, same name as id)", async () => {
        const { recorder } = await build(prodArgs({ adopt: { controlPlaneLogGroup: true, containerInsightsLogGroups: ["/aws/containerinsights/nsip-prod/application"], repositories: ["nsip/api"] } }));
        assert.strictEqual(recorder.one(T.logGroup, "prod-control-plane").importId, "/aws/eks/nsip-prod/cluster");
        const imports = Object.fromEntries(recorder.ofType(T.ecrRepo).map((r) => [r.inputs.name, r.importId]));
        assert.deepStrictEqual(imports, { "nsip/api": "nsip/api", "nsip/analyzer": undefined, "nsip/frontend": undefined });
        const insights = Object.fromEntries(recorder.ofType(T.logGroup).filter((g) => String(g.inputs.name).startsWith("/aws/containerinsights/")).map((g) => [g.inputs.name, g.importId]));
        assert.deepStrictEqual(insights, {
            "/aws/containerinsights/nsip-prod/application": "/aws/containerinsights/nsip-prod/application",
            "/aws/containerinsights/nsip-prod/dataplane": undefined,
            "/aws/containerinsights/nsip-prod/host": undefined,
            "/aws/containerinsights/nsip-prod/performance": undefined,
        });
        // Adopted data stays protected and retained like created data.
        assert.ok(recorder.one(T.logGroup, "prod-control-plane").protect && recorder.one(T.logGroup, "prod-control-plane").retainOnDelete);
    });

    it("creates everything when nothing is left over", async () => {
        const { recorder } = await build(prodArgs({ adopt: { controlPlaneLogGroup: false, containerInsightsLogGroups: [], repositories: [] } }));
        assert.deepStrictEqual(recorder.resources.filter((r) => r.importId !== undefined).map((r) => r.name), []);
    });

    it("finds exactly the stack's log group and repositories among what the account holds", async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
                call: (args) => {
                    if (args.token === "aws:cloudwatch/getLogGroups:getLogGroups") {
                        const held = ["/aws/eks/nsip-prod/cluster-old", "/aws/eks/nsip-prod/cluster", "/aws/eks/nsip-prod-2/cluster-old", "/aws/containerinsights/nsip-prod/host"];
                        return { logGroupNames: held.filter((name) => name.startsWith(args.inputs.logGroupNamePrefix)) };
                    }
                    if (args.token === "aws:ecr/getRepositories:getRepositories") return { names: ["nsip/api", "nsip/frontend", "other/api"] };
                    throw new Error(`unexpected invoke ${args.token}`);
                },
            },
            "project",
            "stack",
            false,
        );
        const names = ["nsip/api", "nsip/analyzer", "nsip/frontend"];
        assert.deepStrictEqual(await findRetainedData({ clusterName: "nsip-prod", repositoryNames: names }, undefined), {
            controlPlaneLogGroup: true,
            containerInsightsLogGroups: ["/aws/containerinsights/nsip-prod/host"],
            repositories: ["nsip/api", "nsip/frontend"],
        });
        assert.deepStrictEqual(await findRetainedData({ clusterName: "nsip-prod-2", repositoryNames: ["x/api"] }, undefined), {
            controlPlaneLogGroup: false,
            containerInsightsLogGroups: [],
            repositories: [],
        });
    });
});
