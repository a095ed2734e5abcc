import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/**
 * Deterministic stand-ins for the engine and providers: every value is derived by hashing the resource's
 * type, name and inputs, never from time or randomness, so two renders are byte-identical.
 * During a preview (setMocks(..., preview = true)) only what a provider's Check would fill in (autonames)
 * is returned; computed outputs stay unknown, as in `pulumi preview`.
 */

export const MOCK_ACCOUNT_ID = "123456789012";
export const MOCK_DEFAULT_REGION = "us-east-1";
/** Fixed instant used wherever a provider would report a creation time. */
export const MOCK_TIMESTAMP = "2025-01-01T00:00:00Z";

export interface NsipMockOptions {
    /** Build contexts are hashed relative to this directory, so image digests match across checkouts (default: cwd). */
    projectDir?: string;
    /** AWS region when neither the resource, its provider nor `aws:region` names one. */
    defaultRegion?: string;
}

type Props = Record<string, unknown>;

interface ResourceContext {
    type: string;
    name: string;
    /** Inputs after Check (autonames filled in), secrets unwrapped. */
    inputs: Props;
    region: string;
    /** Hex digest of the resource identity plus any extra parts. */
    hash(...parts: string[]): string;
}

interface MockedResource {
    id?: string;
    outputs?: Props;
}

type ResourceMock = (ctx: ResourceContext) => MockedResource;
type InvokeMock = (inputs: Props, region: string) => Props;

export function createMocks(options: NsipMockOptions = {}): pulumi.runtime.Mocks {
    const projectDir = options.projectDir ?? process.cwd();
    const defaultRegion = options.defaultRegion ?? MOCK_DEFAULT_REGION;
    /** Region of each explicit aws provider, keyed by "<type>::<name>" as it appears in provider references. */
    const providerRegions = new Map<string, string>();

    const regionFor = (inputs: Props, providerRef: string | undefined): string =>
        str(inputs["region"]) ??
        (providerRef !== undefined ? providerRegions.get(providerKey(providerRef)) : undefined) ??
        new pulumi.Config("aws").get("region") ??
        defaultRegion;

    return {
        newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
            const raw = (args.inputs ?? {}) as Props;
            if (args.type === "pulumi:providers:aws" && str(unwrap(raw["region"])) !== undefined) {
                providerRegions.set(`${args.type}::${args.name}`, String(unwrap(raw["region"])));
            }
            const checked = applyCheckDefaults(args.type, args.name, raw);
            if (pulumi.runtime.isDryRun()) {
                return { id: undefined, state: checked };
            }
            const inputs = unwrap(checked) as Props;
            const ctx: ResourceContext = {
                type: args.type,
                name: args.name,
                inputs: normalizePaths(inputs, projectDir) as Props,
                region: regionFor(inputs, args.provider),
                hash: (...parts) => sha256(args.type, args.name, ...parts),
            };
            const mocked = mockFor(args.type)(ctx);
            // AWS provider v7: every resource reports the region it lives in.
            const outputs = args.type.startsWith("aws:") ? { region: ctx.region, ...mocked.outputs } : mocked.outputs;
            return { id: mocked.id ?? `${args.name}-id`, state: { ...checked, ...outputs } };
        },
        call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
            const inputs = unwrap(args.inputs ?? {}) as Props;
            const invoke = INVOKE_MOCKS[args.token];
            return invoke === undefined ? {} : invoke(inputs, regionFor(inputs, args.provider));
        },
    };
}

/** What a provider's Check adds before create (known in preview too): autonames. */
export function applyCheckDefaults(type: string, name: string, inputs: Props): Props {
    if (type.startsWith("kubernetes:")) {
        const metadata = (isObject(inputs["metadata"]) ? inputs["metadata"] : {}) as Props;
        if (metadata["name"] === undefined && metadata["generateName"] === undefined) {
            return { ...inputs, metadata: { ...metadata, name: kubernetesAutoName(type, name) } };
        }
        return inputs;
    }
    const field = AUTONAMED_FIELDS[type];
    if (field !== undefined && inputs[field] === undefined) {
        return { ...inputs, [field]: autoName(type, name) };
    }
    return inputs;
}

/** The Kubernetes provider's autoname (`<name>-<8 chars>`), here from a hash instead of randomness. */
export function kubernetesAutoName(type: string, name: string): string {
    return `${name}-${sha256(type, name).slice(0, 8)}`;
}

/** Pulumi's default autoname (`<name>-<7 hex>`), here from a hash instead of randomness. */
export function autoName(type: string, name: string): string {
    return `${name}-${sha256(type, name).slice(0, 7)}`;
}

const AUTONAMED_FIELDS: Record<string, string> = {
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:ec2/launchTemplate:LaunchTemplate": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:ecr/repository:Repository": "name",
    "aws:eks/cluster:Cluster": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "aws:iam/policy:Policy": "name",
    "aws:iam/role:Role": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "docker:index/container:Container": "name",
    "docker:index/network:Network": "name",
    "docker:index/volume:Volume": "name",
};

const EC2_ID_PREFIXES: Record<string, string> = {
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
};

const RESOURCE_MOCKS: Record<string, ResourceMock> = {
    "docker:index/image:Image": (ctx) => {
        const imageName = str(ctx.inputs["imageName"]) ?? ctx.name;
        const build = obj(ctx.inputs["build"]);
        const context = str(build["context"]) ?? ".";
        return {
            id: `sha256:${ctx.hash(imageName, context)}`,
            outputs: {
                imageName,
                baseImageName: imageName,
                context,
                dockerfile: str(build["dockerfile"]) ?? path.posix.join(context, "Dockerfile"),
                platform: str(build["platform"]),
                registryServer: str(obj(ctx.inputs["registry"])["server"]) ?? imageName.split("/")[0],
                repoDigest: `${withoutTag(imageName)}@sha256:${sha256(imageName, context)}`,
            },
        };
    },
    "docker:index/remoteImage:RemoteImage": (ctx) => {
        const name = str(ctx.inputs["name"]) ?? ctx.name;
        const digest = sha256(name);
        return { id: `sha256:${digest}${name}`, outputs: { imageId: `sha256:${digest}`, repoDigest: `${withoutTag(name)}@sha256:${digest}` } };
    },
    "docker:index/registryImage:RegistryImage": (ctx) => ({
        id: `sha256:${ctx.hash()}`,
        outputs: { sha256Digest: `sha256:${ctx.hash()}` },
    }),
    "docker:index/tag:Tag": (ctx) => ({
        id: `${String(ctx.inputs["sourceImage"])}-${String(ctx.inputs["targetImage"])}`,
        outputs: { sourceImageId: `sha256:${sha256(String(ctx.inputs["sourceImage"]))}` },
    }),
    "docker:index/container:Container": (ctx) => ({
        id: ctx.hash(),
        outputs: {
            hostname: ctx.hash().slice(0, 12),
            networkDatas: list(ctx.inputs["networksAdvanced"]).map((network, index) => ({
                networkName: str(obj(network)["name"]),
                ipAddress: `172.18.0.${index + 2}`,
                gateway: "172.18.0.1",
                ipPrefixLength: 16,
            })),
        },
    }),
    "docker:index/network:Network": (ctx) => ({ id: ctx.hash() }),
    "docker:index/volume:Volume": (ctx) => ({
        id: String(ctx.inputs["name"]),
        outputs: { mountpoint: `/var/lib/docker/volumes/${String(ctx.inputs["name"])}/_data`, driver: str(ctx.inputs["driver"]) ?? "local" },
    }),

    "aws:eks/cluster:Cluster": (ctx) => {
        const clusterName = String(ctx.inputs["name"]);
        const endpointId = ctx.hash("endpoint").slice(0, 32).toUpperCase();
        return {
            id: clusterName,
            outputs: {
                arn: `arn:aws:eks:${ctx.region}:${MOCK_ACCOUNT_ID}:cluster/${clusterName}`,
                endpoint: `https://${endpointId}.gr7.${ctx.region}.eks.amazonaws.com`,
                certificateAuthority: { data: Buffer.from(pem("CERTIFICATE", ctx.hash("ca"))).toString("base64") },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.${ctx.region}.amazonaws.com/id/${endpointId}` }] }],
                clusterId: uuid(ctx.hash("id")),
                createdAt: MOCK_TIMESTAMP,
                platformVersion: "eks.1",
                status: "ACTIVE",
                version: str(ctx.inputs["version"]) ?? "1.35",
                vpcConfig: {
                    ...obj(ctx.inputs["vpcConfig"]),
                    clusterSecurityGroupId: `sg-${ctx.hash("cluster-sg").slice(0, 17)}`,
                    vpcId: `vpc-${ctx.hash("vpc").slice(0, 17)}`,
                },
                tagsAll: tagsAll(ctx),
            },
        };
    },
    "aws:eks/nodeGroup:NodeGroup": (ctx) => {
        const cluster = String(ctx.inputs["clusterName"]);
        const group = String(ctx.inputs["nodeGroupName"]);
        const suffix = uuid(ctx.hash());
        return {
            id: `${cluster}:${group}`,
            outputs: {
                arn: `arn:aws:eks:${ctx.region}:${MOCK_ACCOUNT_ID}:nodegroup/${cluster}/${group}/${suffix}`,
                status: "ACTIVE",
                resources: [{ autoscalingGroups: [{ name: `eks-${group}-${suffix}` }], remoteAccessSecurityGroupId: "" }],
                tagsAll: tagsAll(ctx),
            },
        };
    },
    "aws:eks/addon:Addon": (ctx) => {
        const cluster = String(ctx.inputs["clusterName"]);
        const addon = String(ctx.inputs["addonName"]);
        return {
            id: `${cluster}:${addon}`,
            outputs: {
                arn: `arn:aws:eks:${ctx.region}:${MOCK_ACCOUNT_ID}:addon/${cluster}/${addon}/${uuid(ctx.hash())}`,
                addonVersion: str(ctx.inputs["addonVersion"]) ?? "v1.0.0-eksbuild.1",
                createdAt: MOCK_TIMESTAMP,
                modifiedAt: MOCK_TIMESTAMP,
                tagsAll: tagsAll(ctx),
            },
        };
    },
    "aws:eks/accessEntry:AccessEntry": (ctx) => {
        const cluster = String(ctx.inputs["clusterName"]);
        return {
            id: `${cluster}:${String(ctx.inputs["principalArn"])}`,
            outputs: {
                accessEntryArn: `arn:aws:eks:${ctx.region}:${MOCK_ACCOUNT_ID}:access-entry/${cluster}/${uuid(ctx.hash())}`,
                createdAt: MOCK_TIMESTAMP,
                modifiedAt: MOCK_TIMESTAMP,
                tagsAll: tagsAll(ctx),
            },
        };
    },
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (ctx) => {
        const associationId = `a-${ctx.hash().slice(0, 17)}`;
        return {
            id: `${String(ctx.inputs["clusterName"])},${associationId}`,
            outputs: {
                associationId,
                associationArn: `arn:aws:eks:${ctx.region}:${MOCK_ACCOUNT_ID}:podidentityassociation/${String(ctx.inputs["clusterName"])}/${associationId}`,
                tagsAll: tagsAll(ctx),
            },
        };
    },
    "aws:ecr/repository:Repository": (ctx) => {
        const name = String(ctx.inputs["name"]);
        return {
            id: name,
            outputs: {
                arn: `arn:aws:ecr:${ctx.region}:${MOCK_ACCOUNT_ID}:repository/${name}`,
                registryId: MOCK_ACCOUNT_ID,
                repositoryUrl: `${MOCK_ACCOUNT_ID}.dkr.ecr.${ctx.region}.amazonaws.com/${name}`,
                tagsAll: tagsAll(ctx),
            },
        };
    },
    "aws:kms/key:Key": (ctx) => {
        const keyId = uuid(ctx.hash());
        return { id: keyId, outputs: { keyId, arn: `arn:aws:kms:${ctx.region}:${MOCK_ACCOUNT_ID}:key/${keyId}`, tagsAll: tagsAll(ctx) } };
    },
    "aws:kms/alias:Alias": (ctx) => ({
        id: String(ctx.inputs["name"]),
        outputs: {
            arn: `arn:aws:kms:${ctx.region}:${MOCK_ACCOUNT_ID}:${String(ctx.inputs["name"])}`,
            targetKeyArn: `arn:aws:kms:${ctx.region}:${MOCK_ACCOUNT_ID}:key/${String(ctx.inputs["targetKeyId"])}`,
        },
    }),
    "aws:iam/role:Role": (ctx) => {
        const name = String(ctx.inputs["name"]);
        return {
            id: name,
            outputs: {
                arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role${str(ctx.inputs["path"]) ?? "/"}${name}`,
                uniqueId: `AROA${ctx.hash().slice(0, 17).toUpperCase()}`,
                createDate: MOCK_TIMESTAMP,
                tagsAll: tagsAll(ctx),
            },
        };
    },
    "aws:iam/policy:Policy": (ctx) => {
        const arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy${str(ctx.inputs["path"]) ?? "/"}${String(ctx.inputs["name"])}`;
        return { id: arn, outputs: { arn, policyId: `ANPA${ctx.hash().slice(0, 17).toUpperCase()}`, attachmentCount: 0, tagsAll: tagsAll(ctx) } };
    },
    "aws:iam/instanceProfile:InstanceProfile": (ctx) => {
        const name = String(ctx.inputs["name"]);
        return {
            id: name,
            outputs: { arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:instance-profile${str(ctx.inputs["path"]) ?? "/"}${name}`, uniqueId: `AIPA${ctx.hash().slice(0, 17).toUpperCase()}` },
        };
    },
    "aws:cloudwatch/logGroup:LogGroup": (ctx) => {
        const name = String(ctx.inputs["name"]);
        return { id: name, outputs: { arn: `arn:aws:logs:${ctx.region}:${MOCK_ACCOUNT_ID}:log-group:${name}`, tagsAll: tagsAll(ctx) } };
    },
    "aws:ec2/vpc:Vpc": (ctx) => ec2Resource(ctx, {
        defaultSecurityGroupId: `sg-${ctx.hash("default-sg").slice(0, 17)}`,
        defaultNetworkAclId: `acl-${ctx.hash("default-acl").slice(0, 17)}`,
        defaultRouteTableId: `rtb-${ctx.hash("main-rtb").slice(0, 17)}`,
        mainRouteTableId: `rtb-${ctx.hash("main-rtb").slice(0, 17)}`,
        dhcpOptionsId: `dopt-${ctx.hash("dopt").slice(0, 17)}`,
    }),
    "aws:ec2/eip:Eip": (ctx) => {
        const resource = ec2Resource(ctx, { publicIp: `203.0.113.${(parseInt(ctx.hash().slice(0, 4), 16) % 254) + 1}` });
        return { id: resource.id, outputs: { ...resource.outputs, allocationId: resource.id } };
    },
    "aws:ec2/launchTemplate:LaunchTemplate": (ctx) => ec2Resource(ctx, { latestVersion: 1, defaultVersion: 1 }),
    "aws:s3/bucket:Bucket": s3Bucket,
    "aws:s3/bucketV2:BucketV2": s3Bucket,

    "random:index/randomPassword:RandomPassword": (ctx) => {
        const result = randomText(ctx, passwordAlphabet(ctx.inputs));
        return { id: "none", outputs: { result, bcryptHash: `$2a$10$${sha256("bcrypt", result).slice(0, 53)}` } };
    },
    "random:index/randomString:RandomString": (ctx) => {
        const result = randomText(ctx, passwordAlphabet(ctx.inputs));
        return { id: result, outputs: { result } };
    },
    "random:index/randomId:RandomId": (ctx) => {
        const bytes = Buffer.from(ctx.hash(), "hex").subarray(0, num(ctx.inputs["byteLength"]) ?? 8);
        const b64Url = bytes.toString("base64url");
        return {
            id: b64Url,
            outputs: { hex: bytes.toString("hex"), b64Url, b64Std: bytes.toString("base64"), dec: BigInt(`0x${bytes.toString("hex")}`).toString() },
        };
    },
    "random:index/randomBytes:RandomBytes": (ctx) => {
        const bytes = Buffer.from(hashStream(ctx, (num(ctx.inputs["length"]) ?? 32) * 2), "hex");
        return { id: "none", outputs: { hex: bytes.toString("hex"), base64: bytes.toString("base64") } };
    },
    "random:index/randomUuid:RandomUuid": (ctx) => ({ id: uuid(ctx.hash()), outputs: { result: uuid(ctx.hash()) } }),
    "random:index/randomPet:RandomPet": (ctx) => ({ id: `${str(ctx.inputs["prefix"]) ?? "mock"}-pet-${ctx.hash().slice(0, 6)}` }),

    "tls:index/privateKey:PrivateKey": (ctx) => {
        const algorithm = str(ctx.inputs["algorithm"]) ?? "RSA";
        const label = algorithm === "RSA" ? "RSA PRIVATE KEY" : algorithm === "ECDSA" ? "EC PRIVATE KEY" : "PRIVATE KEY";
        const publicBody = Buffer.from(ctx.hash("public"), "hex").toString("base64");
        return {
            id: ctx.hash(),
            outputs: {
                privateKeyPem: pem(label, ctx.hash("private")),
                privateKeyPemPkcs8: pem("PRIVATE KEY", ctx.hash("pkcs8")),
                privateKeyOpenssh: pem("OPENSSH PRIVATE KEY", ctx.hash("openssh")),
                publicKeyPem: pem("PUBLIC KEY", ctx.hash("public")),
                publicKeyOpenssh: `${algorithm === "ED25519" ? "ssh-ed25519" : algorithm === "ECDSA" ? "ecdsa-sha2-nistp256" : "ssh-rsa"} ${publicBody}\n`,
                publicKeyFingerprintSha256: `SHA256:${Buffer.from(ctx.hash("fp"), "hex").toString("base64").replace(/=+$/, "")}`,
                publicKeyFingerprintMd5: (ctx.hash("md5").slice(0, 32).match(/../g) ?? []).join(":"),
            },
        };
    },
    "tls:index/selfSignedCert:SelfSignedCert": certificate,
    "tls:index/locallySignedCert:LocallySignedCert": certificate,
    "tls:index/certRequest:CertRequest": (ctx) => ({ id: ctx.hash(), outputs: { certRequestPem: pem("CERTIFICATE REQUEST", ctx.hash()) } }),
};

function mockFor(type: string): ResourceMock {
    const specific = RESOURCE_MOCKS[type];
    if (specific !== undefined) {
        return specific;
    }
    if (type.startsWith("kubernetes:")) {
        return kubernetesObject;
    }
    if (type in EC2_ID_PREFIXES) {
        return (ctx) => ec2Resource(ctx, {});
    }
    if (type.startsWith("pulumi:providers:")) {
        return (ctx) => ({ id: uuid(ctx.hash()) });
    }
    if (type.startsWith("aws:")) {
        return (ctx) => ({ outputs: { arn: str(ctx.inputs["arn"]) ?? genericArn(ctx, `${ctx.name}-id`), tagsAll: tagsAll(ctx) } });
    }
    return () => ({});
}

function kubernetesObject(ctx: ResourceContext): MockedResource {
    const metadata = obj(ctx.inputs["metadata"]);
    const name = str(metadata["name"]) ?? str(metadata["generateName"]) ?? ctx.name;
    const namespace = str(metadata["namespace"]);
    const outputs: Props = {};
    const spec = obj(ctx.inputs["spec"]);
    if (ctx.type === "kubernetes:core/v1:Service" && spec["type"] === "LoadBalancer") {
        outputs["status"] = { loadBalancer: { ingress: [{ hostname: `${ctx.hash().slice(0, 32)}.elb.${ctx.region}.amazonaws.com` }] } };
    }
    return { id: namespace === undefined ? name : `${namespace}/${name}`, outputs };
}

function ec2Resource(ctx: ResourceContext, extra: Props): MockedResource {
    const id = `${EC2_ID_PREFIXES[ctx.type] ?? "res"}-${ctx.hash().slice(0, 17)}`;
    return { id, outputs: { arn: genericArn(ctx, id), ownerId: MOCK_ACCOUNT_ID, tagsAll: tagsAll(ctx), ...extra } };
}

function s3Bucket(ctx: ResourceContext): MockedResource {
    const bucket = String(ctx.inputs["bucket"]);
    return {
        id: bucket,
        outputs: {
            arn: `arn:aws:s3:::${bucket}`,
            bucketDomainName: `${bucket}.s3.amazonaws.com`,
            bucketRegionalDomainName: `${bucket}.s3.${ctx.region}.amazonaws.com`,
            region: ctx.region,
            tagsAll: tagsAll(ctx),
        },
    };
}

function certificate(ctx: ResourceContext): MockedResource {
    const hours = num(ctx.inputs["validityPeriodHours"]) ?? 0;
    return {
        id: BigInt(`0x${ctx.hash().slice(0, 30)}`).toString(),
        outputs: {
            certPem: pem("CERTIFICATE", ctx.hash()),
            validityStartTime: MOCK_TIMESTAMP,
            validityEndTime: new Date(Date.parse(MOCK_TIMESTAMP) + hours * 3_600_000).toISOString().replace(".000Z", "Z"),
            readyForRenewal: false,
        },
    };
}

/** `arn:aws:<module>:<region>:<account>:<resource type>/<id>`, the shape most AWS ARNs share. */
function genericArn(ctx: ResourceContext, id: string): string {
    const [, module = "unknown", resource = "resource"] = /^aws:([^/]+)\/([^:]+):/.exec(ctx.type) ?? [];
    return `arn:aws:${module}:${ctx.region}:${MOCK_ACCOUNT_ID}:${resource.toLowerCase()}/${id}`;
}

function tagsAll(ctx: ResourceContext): Props {
    return obj(ctx.inputs["tags"]);
}

const INVOKE_MOCKS: Record<string, InvokeMock> = {
    // A fresh account: no log group or repository survives from an earlier stack.
    "aws:cloudwatch/getLogGroups:getLogGroups": (inputs, region) => ({ id: region, region, logGroupNamePrefix: inputs["logGroupNamePrefix"], arns: [], logGroupNames: [] }),
    "aws:ecr/getRepositories:getRepositories": (_inputs, region) => ({ id: region, region, names: [] }),
    "aws:index/getAvailabilityZones:getAvailabilityZones": (_inputs, region) => ({
        id: region,
        region,
        names: ["a", "b", "c"].map((zone) => `${region}${zone}`),
        zoneIds: [1, 2, 3].map((n) => `${regionCode(region)}-az${n}`),
        groupNames: [region],
    }),
    "aws:index/getRegion:getRegion": (_inputs, region) => ({
        id: region,
        name: region,
        region,
        endpoint: `ec2.${region}.amazonaws.com`,
        description: `Mock region ${region}`,
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        id: MOCK_ACCOUNT_ID,
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/nsip-render`,
        userId: "AIDAMOCKRENDERUSER0001",
    }),
    "aws:index/getPartition:getPartition": () => ({ id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }),
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": (inputs, region) => {
        const password = sha256("ecr-token", region);
        return {
            id: region,
            region,
            registryId: str(inputs["registryId"]) ?? MOCK_ACCOUNT_ID,
            userName: "AWS",
            password,
            authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"),
            proxyEndpoint: `https://${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`,
            expiresAt: MOCK_TIMESTAMP,
        };
    },
    "aws:iam/getPolicyDocument:getPolicyDocument": (inputs) => {
        const json = JSON.stringify(policyDocument(inputs), null, 2);
        return { id: sha256(json).slice(0, 10), json, minifiedJson: JSON.stringify(JSON.parse(json)) };
    },
    "aws:eks/getAddonVersion:getAddonVersion": (inputs) => ({
        id: String(inputs["addonName"]),
        addonName: inputs["addonName"],
        kubernetesVersion: inputs["kubernetesVersion"],
        version: "v1.0.0-eksbuild.1",
    }),
    "aws:ssm/getParameter:getParameter": (inputs) => {
        const name = String(inputs["name"]);
        return { id: name, name, type: "String", version: 1, value: name.includes("ami") ? `ami-${sha256(name).slice(0, 17)}` : `mock-${sha256(name).slice(0, 12)}` };
    },
    "aws:ec2/getAmi:getAmi": (inputs) => ({ id: `ami-${sha256(JSON.stringify(inputs)).slice(0, 17)}`, architecture: "x86_64" }),
    "aws:eks/getClusterAuth:getClusterAuth": (inputs) => ({ id: String(inputs["name"]), name: inputs["name"], token: `k8s-aws-v1.${sha256(String(inputs["name"]))}` }),
};

/** Renders the IAM JSON the real data source returns (single-item lists collapse to strings, like AWS). */
function policyDocument(inputs: Props): Props {
    const statements = list(inputs["statements"]).map((item) => {
        const statement = obj(item);
        const rendered: Props = {};
        const put = (key: string, value: unknown): void => {
            if (value !== undefined) {
                rendered[key] = value;
            }
        };
        put("Sid", str(statement["sid"]));
        put("Effect", str(statement["effect"]) ?? "Allow");
        put("Action", oneOrMany(statement["actions"]));
        put("NotAction", oneOrMany(statement["notActions"]));
        put("Resource", oneOrMany(statement["resources"]));
        put("NotResource", oneOrMany(statement["notResources"]));
        put("Principal", principals(statement["principals"]));
        put("NotPrincipal", principals(statement["notPrincipals"]));
        const conditions = list(statement["conditions"]);
        if (conditions.length > 0) {
            const byTest: Record<string, Props> = {};
            for (const condition of conditions.map(obj)) {
                const test = String(condition["test"]);
                byTest[test] = { ...byTest[test], [String(condition["variable"])]: oneOrMany(condition["values"]) };
            }
            rendered["Condition"] = byTest;
        }
        return rendered;
    });
    return { Version: str(inputs["version"]) ?? "2012-10-17", Statement: statements };
}

function principals(value: unknown): Props | undefined {
    const entries = list(value).map(obj);
    if (entries.length === 0) {
        return undefined;
    }
    return Object.fromEntries(entries.map((entry) => [String(entry["type"]), oneOrMany(entry["identifiers"])]));
}

function oneOrMany(value: unknown): unknown {
    const items = list(value);
    return items.length === 0 ? undefined : items.length === 1 ? items[0] : items;
}

function passwordAlphabet(inputs: Props): string {
    let alphabet = "";
    if (inputs["upper"] !== false) alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (inputs["lower"] !== false) alphabet += "abcdefghijklmnopqrstuvwxyz";
    if (inputs["numeric"] !== false && inputs["number"] !== false) alphabet += "0123456789";
    if (inputs["special"] !== false) alphabet += str(inputs["overrideSpecial"]) ?? "!@#$%&*()-_=+[]{}<>:?";
    return alphabet || "abcdefghijklmnopqrstuvwxyz";
}

function randomText(ctx: ResourceContext, alphabet: string): string {
    const length = num(ctx.inputs["length"]) ?? 16;
    const bytes = Buffer.from(hashStream(ctx, length * 2), "hex");
    return Array.from(bytes.subarray(0, length), (byte) => alphabet[byte % alphabet.length]).join("");
}

function hashStream(ctx: ResourceContext, hexChars: number): string {
    let out = "";
    for (let block = 0; out.length < hexChars; block++) {
        out += ctx.hash("stream", String(block));
    }
    return out.slice(0, hexChars);
}

export function sha256(...parts: string[]): string {
    return crypto.createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

function uuid(hex: string): string {
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A PEM block whose body is derived from a hash: looks like key material, is not. */
function pem(label: string, hex: string): string {
    const body = Buffer.from(sha256(hex, "1") + sha256(hex, "2") + sha256(hex, "3"), "hex").toString("base64");
    return `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)?.join("\n")}\n-----END ${label}-----\n`;
}

function withoutTag(imageName: string): string {
    const at = imageName.indexOf("@");
    const name = at >= 0 ? imageName.slice(0, at) : imageName;
    const lastSlash = name.lastIndexOf("/");
    const lastColon = name.lastIndexOf(":");
    return lastColon > lastSlash ? name.slice(0, lastColon) : name;
}

function regionCode(region: string): string {
    const [area = "xx", direction = "", number = ""] = region.split("-");
    return `${area}${direction.replace(/(north|south|east|west|central)/g, (word) => word[0] ?? "")}${number}`;
}

/** "<urn>::<id>" -> "<type>::<name>" (the last segments of the URN), the key providers are remembered by. */
function providerKey(providerRef: string): string {
    const urn = providerRef.slice(0, providerRef.lastIndexOf("::"));
    const segments = urn.split("::");
    const type = (segments[2] ?? "").split("$").pop() ?? "";
    return `${type}::${segments[3] ?? ""}`;
}

/** Mocks see secrets as signature-wrapped objects; derive outputs from the plain values. */
function unwrap(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(unwrap);
    }
    if (isObject(value)) {
        if (pulumi.runtime.isRpcSecret(value)) {
            return unwrap(pulumi.runtime.unwrapRpcSecret(value));
        }
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, unwrap(item)]));
    }
    return value;
}

function normalizePaths(value: unknown, projectDir: string): unknown {
    if (typeof value === "string" && path.isAbsolute(value) && (value === projectDir || value.startsWith(`${projectDir}${path.sep}`))) {
        return path.relative(projectDir, value).split(path.sep).join("/") || ".";
    }
    if (Array.isArray(value)) {
        return value.map((item) => normalizePaths(item, projectDir));
    }
    if (isObject(value)) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalizePaths(item, projectDir)]));
    }
    return value;
}

function isObject(value: unknown): value is Props {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function obj(value: unknown): Props {
    return isObject(value) ? value : {};
}

function list(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
    return typeof value === "number" ? value : undefined;
}
