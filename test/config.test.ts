import { strict as assert } from "assert";
import { MAX_AVAILABILITY_ZONES, subnetPlan } from "../components/cluster/vpc";
import { NsipConfigError, parseStackConfig } from "../stacks/load";
import { backupTarget } from "../stacks/backup-config";
import { problems, S3_COMPATIBLE_TARGET, s3CompatibleStack, stackFile, withOverrides } from "./support/stack-config";

/** A resources block: the dev api's defaults with some values replaced. */
function res(over: { requests?: Record<string, string>; limits?: Record<string, string> }): Record<string, Record<string, string>> {
    return {
        requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "64Mi", ...over.requests },
        limits: { cpu: "500m", memory: "256Mi", ephemeralStorage: "256Mi", ...over.limits },
    };
}

describe("stack config", () => {
    describe("valid stacks", () => {
        it("dev: local cluster, relaxed profile, single replicas", () => {
            const config = parseStackConfig(stackFile("dev"), { stack: "dev" });
            assert.equal(config.environment, "dev");
            assert.equal(config.cluster.provider, "local");
            assert.equal(config.hardening.podSecurityLevel, "baseline");
            assert.equal(config.hardening.protectData, false);
            assert.equal(config.services.api.replicas, 1);
            assert.equal(config.services.api.autoscaling, undefined);
            assert.equal(config.observability.retentionDays, 7);
            assert.equal(config.redis.maxmemory, "256mb");
            assert.deepEqual(config.backup, { enabled: true, schedule: "0 3 * * *", retentionDays: 7 }, "dev backs up too");
            assert.deepEqual(backupTarget(config.backup, config.cluster.provider), { kind: "pvc", size: "10Gi" }, "to a PVC on the local cluster");
        });

        it("prod: EKS, hardened profile, HPA 3-10 at 70% CPU, 30-day retention, 90-day logs", () => {
            const config = parseStackConfig(stackFile("prod"), { stack: "prod" });
            assert.equal(config.cluster.provider, "eks");
            assert.equal(config.hardening.podSecurityLevel, "restricted");
            assert.deepEqual(config.services.api.autoscaling, { minReplicas: 3, maxReplicas: 10, targetCpuUtilization: 70 });
            assert.equal(config.observability.retentionDays, 30);
            if (config.cluster.provider !== "eks") assert.fail("prod must be eks");
            assert.equal(config.cluster.logRetentionDays, 90);
            assert.equal(config.cluster.natGateways, "perAz");
            assert.deepEqual(config.backup, { enabled: true, schedule: "0 3 * * *", retentionDays: 30 });
            assert.deepEqual(backupTarget(config.backup, config.cluster.provider), { kind: "s3" }, "to the stack's bucket on EKS");
        });

        it("an existing cluster backs up to any S3-compatible endpoint, its keys set as secrets", () => {
            const raw = s3CompatibleStack();
            const config = parseStackConfig(raw, { stack: "dev", secretKeys: ["nsip:backup"] });
            assert.deepEqual(backupTarget(config.backup, config.cluster.provider), S3_COMPATIBLE_TARGET);
            assert.throws(() => parseStackConfig(raw, { stack: "dev" }), /nsip:backup\.target\.writer\.secretAccessKey: must be set as a secret[^]*nsip:backup\.target\.reader\.secretAccessKey: must be set as a secret/);
        });

        it("stack values merge over the defaults key by key", () => {
            const config = parseStackConfig(withOverrides("dev", { "nsip:services": { api: { replicas: 2 } } }), { stack: "dev" });
            assert.equal(config.services.api.replicas, 2);
            assert.equal(config.services.api.resources.requests.cpu, "100m", "sibling keys keep their defaults");
        });

        it("add-on versions: one pin overrides its default, and a new Kubernetes minor takes kube-proxy back to EKS's default", () => {
            const config = parseStackConfig(
                withOverrides("prod", { "nsip:cluster": { kubernetesVersion: "1.34", addonVersions: { kubeProxy: "default", vpcCni: "v1.20.4-eksbuild.2" } } }),
                { stack: "prod" },
            );
            assert.ok(config.cluster.provider === "eks");
            assert.deepEqual(config.cluster.addonVersions, {
                vpcCni: "v1.20.4-eksbuild.2",
                kubeProxy: "default",
                podIdentityAgent: "default",
                coredns: "v1.13.2-eksbuild.4",
                ebsCsiDriver: "default",
                cloudwatchObservability: "default",
            });
        });

        it("prod may harden further than its floor", () => {
            const config = parseStackConfig(withOverrides("prod", { "nsip:services": { nginx: { replicas: 4 } } }), { stack: "prod" });
            assert.equal(config.services.nginx.replicas, 4);
        });

        it("an existing cluster with a secret kubeconfig is accepted", () => {
            const raw = withOverrides("dev", {
                "nsip:cluster": { provider: "existing", kubeconfig: "apiVersion: v1", registry: { server: "registry.example.com", repositoryPrefix: "team/nsip" } },
                "nsip:edge": { hostname: "nsip.dev.example.com" },
            });
            const config = parseStackConfig(raw, { stack: "dev", secretKeys: ["nsip:cluster"] });
            assert.equal(config.cluster.provider, "existing");
        });

        it("prebuilt images by digest replace the registry on an existing cluster", () => {
            const digest = (name: string) => `registry.example.com:5000/team/${name}@sha256:${"ab".repeat(32)}`;
            const raw = withOverrides("dev", {
                "nsip:cluster": { provider: "existing", context: "staging" },
                "nsip:edge": { hostname: "nsip.staging.example.com" },
                "nsip:images": { prebuilt: { api: digest("api"), frontend: digest("frontend"), analyzer: `ghcr.io/team/analyzer:1.2.0@sha256:${"cd".repeat(32)}` } },
            });
            const config = parseStackConfig(raw, { stack: "dev" });
            assert.equal(config.images.prebuilt?.api, digest("api"));
            assert.equal(config.cluster.provider === "existing" ? config.cluster.registry : "not existing", undefined);
        });
    });

    // Each case: the raw overrides, the stack, and the messages that must appear (key path first).
    const invalid: { name: string; stack: string; raw: () => Record<string, string>; expect: RegExp[]; secretKeys?: string[] }[] = [
        { name: "an unknown top-level key (typo)", stack: "dev", raw: () => withOverrides("dev", { "nsip:replicsa": "3" }), expect: [/^nsip:replicsa: unknown key/] },
        {
            name: "a typo inside an object, with a suggestion",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:edge": { clientMaxBodySiz: "1m" } }),
            expect: [/^nsip:edge\.clientMaxBodySiz: unknown key \(did you mean "clientMaxBodySize"\?\)/],
        },
        { name: "a string where a number belongs", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { api: { replicas: "three" } } }), expect: [/^nsip:services\.api\.replicas: an integer from 1 to 50, found "three"$/] },
        { name: "an unknown cluster provider", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "gke" } }), expect: [/^nsip:cluster\.provider: a cluster provider: one of "eks", "local", "existing", found "gke"$/] },
        { name: "an unknown environment", stack: "dev", raw: () => withOverrides("dev", { "nsip:environment": "staging" }), expect: [/^nsip:environment: expected "dev" or "prod", found "staging"/] },
        { name: "a malformed CPU quantity", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { frontend: { resources: { requests: { cpu: "lots", memory: "32Mi", ephemeralStorage: "64Mi" }, limits: { cpu: "1", memory: "64Mi", ephemeralStorage: "64Mi" } } } } }), expect: [/^nsip:services\.frontend\.resources\.requests\.cpu: a Kubernetes CPU quantity/] },
        { name: "HPA max below min", stack: "prod", raw: () => withOverrides("prod", { "nsip:services": { api: { autoscaling: { minReplicas: 5, maxReplicas: 3, targetCpuUtilization: 70 } } } }), expect: [/^nsip:services\.api\.autoscaling\.maxReplicas: at least minReplicas \(5\), found 3$/] },
        { name: "an invalid namespace name", stack: "dev", raw: () => withOverrides("dev", { "nsip:namespace": "NSIP_Prod" }), expect: [/^nsip:namespace: a DNS-1123 label/] },
        { name: "an EKS cluster without region", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "eks", publicAccessCidrs: ["203.0.113.0/24"] } }), expect: [/^nsip:cluster\.region: .*found nothing/] },
        { name: "a single availability zone", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { availabilityZones: 1 } }), expect: [/^nsip:cluster\.availabilityZones: an integer from 2 to 4 \(the VPC's subnet plan\), found 1$/] },
        { name: "a malformed CIDR", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["10.0.0.0"] } }), expect: [/^nsip:cluster\.publicAccessCidrs\[0\]: an IPv4 CIDR/] },
        { name: "a node group whose desired size is outside min..max", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i.large"], minSize: 3, desiredSize: 9, maxSize: 6, diskSizeGiB: 50 } } }), expect: [/^nsip:cluster\.nodeGroup\.desiredSize: from minSize to maxSize \(3 to 6\), found 9$/] },
        { name: "a kubeconfig in plain text", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", kubeconfig: "apiVersion: v1", registry: { server: "r.example.com", repositoryPrefix: "nsip" } } }), expect: [/^nsip:cluster\.kubeconfig: must be set as a secret/] },
        { name: "an existing cluster with neither kubeconfig nor context", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", registry: { server: "r.example.com", repositoryPrefix: "nsip" } } }), expect: [/^nsip:cluster\.kubeconfig: set kubeconfig .* or context/] },
        { name: "a non-local cluster without a public host name", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team", registry: { server: "r.example.com", repositoryPrefix: "nsip" } } }), expect: [/^nsip:edge\.hostname: required on an "existing" cluster/] },
        { name: "a local-cluster key on an EKS cluster", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { apiPort: 6443 } }), expect: [/^nsip:cluster\.apiPort: unknown key/] },
        { name: "a bad Redis eviction policy", stack: "dev", raw: () => withOverrides("dev", { "nsip:redis": { maxmemoryPolicy: "random" } }), expect: [/^nsip:redis\.maxmemoryPolicy: .*"random"/] },
        { name: "a CORS origin that is not a URL", stack: "dev", raw: () => withOverrides("dev", { "nsip:api": { corsOrigins: ["example"] } }), expect: [/^nsip:api\.corsOrigins\[0\]: an origin: http\(s\):\/\/host\[:port\] with no path or trailing slash, such as "https:\/\/app\.example\.com", found "example"$/] },
        { name: "a backup schedule that is not 5 cron fields", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { schedule: "0 3 * *" } }), expect: [/^nsip:backup\.schedule: a 5-field cron schedule/] },
        { name: "the EKS bucket as target on the local cluster", stack: "dev", raw: () => withOverrides("dev", { "nsip:backup": { target: { kind: "s3" } } }), expect: [/^nsip:backup\.target\.kind: "s3" is the stack's own bucket on EKS, found a "local" cluster/] },
        {
            name: "a prebuilt image given by tag only",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:images": { prebuilt: { api: "ghcr.io/team/api:1.2.0", frontend: `ghcr.io/team/frontend@sha256:${"0".repeat(64)}`, analyzer: `ghcr.io/team/analyzer@sha256:${"0".repeat(64)}` } } }),
            expect: [/^nsip:images\.prebuilt\.api: an image reference by digest .*found "ghcr\.io\/team\/api:1\.2\.0"/],
        },
        {
            name: "a prebuilt image with a malformed digest, and one missing",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:images": { prebuilt: { api: `ghcr.io/team/api@sha256:${"0".repeat(63)}`, frontend: `ghcr.io/team/frontend@sha256:${"0".repeat(64)}` } } }),
            expect: [/^nsip:images\.prebuilt\.api: an image reference by digest/, /^nsip:images\.prebuilt\.analyzer: .*found nothing/],
        },
        {
            name: "an existing cluster with neither a registry nor prebuilt images",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team" }, "nsip:edge": { hostname: "nsip.example.com" } }),
            expect: [/^nsip:cluster\.registry: required on an "existing" cluster .* or set nsip:images\.prebuilt/],
        },
        { name: "an object key given a scalar", stack: "dev", raw: () => withOverrides("dev", { "nsip:storage": "big" }), expect: [/^nsip:storage: expected object, found "big"/] },
        // Values checked as their consumers check them.
        { name: "memory in millibytes", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { api: { resources: res({ requests: { memory: "128m" } }) } } }), expect: [/^nsip:services\.api\.resources\.requests\.memory: a Kubernetes memory quantity in bytes from 16Mi to 1Ti, such as "512Mi" or "2Gi" \("m" is millibytes\), found "128m"$/] },
        { name: "memory in fractional bytes", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { api: { resources: res({ limits: { memory: "268435456.5" } }) } } }), expect: [/^nsip:services\.api\.resources\.limits\.memory: .* \(whole bytes\), found "268435456\.5"$/] },
        { name: "memory below what a container starts with", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { frontend: { resources: res({ requests: { memory: "8Mi" } }) } } }), expect: [/^nsip:services\.frontend\.resources\.requests\.memory: a Kubernetes memory quantity in bytes from 16Mi to 1Ti.*, found "8Mi"$/] },
        { name: "CPU finer than a millicore", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { api: { resources: res({ requests: { cpu: "0.0005" } }) } } }), expect: [/^nsip:services\.api\.resources\.requests\.cpu: a Kubernetes CPU quantity from 1m to 1024 cores, such as "250m" or "1\.5" \(no finer than 1m\), found "0\.0005"$/] },
        { name: "CPU with a byte suffix", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { api: { resources: res({ limits: { cpu: "1Gi" } }) } } }), expect: [/^nsip:services\.api\.resources\.limits\.cpu: a Kubernetes CPU quantity from 1m to 1024 cores, such as "250m" or "1\.5", found "1Gi"$/] },
        { name: "a CPU request above its limit", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { api: { resources: res({ requests: { cpu: "2" }, limits: { cpu: "1500m" } }) } } }), expect: [/^nsip:services\.api\.resources\.requests\.cpu: at most the limit "1500m" \(the API server rejects a request above its limit\), found "2"$/] },
        { name: "a memory request above its limit, in different units", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { postgres: { resources: res({ requests: { memory: "1.5Gi" }, limits: { memory: "1536M" } }) } } }), expect: [/^nsip:services\.postgres\.resources\.requests\.memory: at most the limit "1536M" .*found "1\.5Gi"$/] },
        { name: "a PVC smaller than EBS allows", stack: "dev", raw: () => withOverrides("dev", { "nsip:storage": { postgres: "512Mi" } }), expect: [/^nsip:storage\.postgres: a Kubernetes volume size quantity in bytes from 1Gi to 16Ti, such as "512Mi" or "2Gi", found "512Mi"$/] },
        { name: "an empty StorageClass name", stack: "dev", raw: () => withOverrides("dev", { "nsip:storage": { storageClassName: "" } }), expect: [/^nsip:storage\.storageClassName: a StorageClass name; leave the key out for the cluster's default \("" asks for no class at all\), found ""$/] },
        { name: "an IPv4 CIDR with an octet above 255", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["198.51.256.0/24"] } }), expect: [/^nsip:cluster\.publicAccessCidrs\[0\]: an IPv4 CIDR block: four octets 0-255 and a prefix 0-32, such as "198\.51\.100\.0\/24", found "198\.51\.256\.0\/24"$/] },
        { name: "an IPv4 CIDR with a prefix above 32", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["198.51.100.0/33"] } }), expect: [/^nsip:cluster\.publicAccessCidrs\[0\]: an IPv4 CIDR block: four octets .*, found "198\.51\.100\.0\/33"$/] },
        { name: "a CIDR with host bits set", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { vpcCidr: "10.40.1.0/16" } }), expect: [/^nsip:cluster\.vpcCidr: an IPv4 CIDR block with no host bits set \(the network address is 10\.40\.0\.0\/16\), found "10\.40\.1\.0\/16"$/] },
        { name: "a VPC larger than AWS allows", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { vpcCidr: "10.0.0.0/8" } }), expect: [/^nsip:cluster\.vpcCidr: a VPC CIDR from \/16 to \/24 \(AWS allows \/16 to \/28; each AZ takes a \/prefix\+3 private and a \/prefix\+4 public subnet\), found "10\.0\.0\.0\/8"$/] },
        { name: "a VPC too small for the subnet plan", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { vpcCidr: "10.40.0.0/26" } }), expect: [/^nsip:cluster\.vpcCidr: a VPC CIDR from \/16 to \/24 .*found "10\.40\.0\.0\/26"$/] },
        { name: "a VPC in public address space", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { vpcCidr: "198.51.100.0/24" } }), expect: [/^nsip:cluster\.vpcCidr: a VPC CIDR inside a private range \(10\.0\.0\.0\/8, 172\.16\.0\.0\/12 or 192\.168\.0\.0\/16\), found "198\.51\.100\.0\/24"$/] },
        { name: "a private CIDR for the public API endpoint", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["203.0.113.0/24", "10.1.0.0/16"] } }), expect: [/^nsip:cluster\.publicAccessCidrs\[1\]: a public IPv4 CIDR block \(EKS rejects private, .*\), found "10\.1\.0\.0\/16"$/] },
        { name: "more availability zones than the VPC component builds", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { availabilityZones: 5 } }), expect: [/^nsip:cluster\.availabilityZones: an integer from 2 to 4 \(the VPC's subnet plan\), found 5$/] },
        { name: "a region AWS does not have", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { region: "eu-west-9" } }), expect: [/^nsip:cluster\.region: an AWS region the provider knows, such as "eu-west-1", found "eu-west-9"$/] },
        { name: "a log retention CloudWatch does not offer", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { logRetentionDays: 100 } }), expect: [/^nsip:cluster\.logRetentionDays: one of the retention periods CloudWatch Logs accepts: 1, 3, 5, .*, 3653, found 100$/] },
        { name: "a Mac instance type", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i.large", "mac2.metal"], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 } } }), expect: [/^nsip:cluster\.nodeGroup\.instanceTypes\[1\]: an instance type an EKS node can run: mac instances run macOS on Dedicated Hosts only, found "mac2\.metal"$/] },
        { name: "an instance type without a size", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i"], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 } } }), expect: [/^nsip:cluster\.nodeGroup\.instanceTypes\[0\]: an EC2 instance type such as "m6i\.large", found "m6i"$/] },
        { name: "an arm64 node AMI for x86 instance types", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i.large"], amiType: "AL2023_ARM_64_STANDARD", minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 } } }), expect: [/^nsip:cluster\.nodeGroup\.amiType: an AMI type for the instance types' architecture \(m6i\.large is x86_64\), found AL2023_ARM_64_STANDARD \(arm64\)$/] },
        { name: "a Graviton instance type beside the default x86 AMI", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i.large", "m7g.large"], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 } } }), expect: [/^nsip:cluster\.nodeGroup\.amiType: an AMI type for the instance types' architecture \(m7g\.large is arm64\), found AL2023_x86_64_STANDARD \(x86_64\)$/] },
        { name: "an add-on version without its eksbuild suffix", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { addonVersions: { coredns: "v1.13.2" } } }), expect: [/^nsip:cluster\.addonVersions\.coredns: a published add-on version such as "v1\.13\.2-eksbuild\.4" \(aws eks describe-addon-versions .*\), or "default" for EKS's default for the cluster's Kubernetes version, found "v1\.13\.2"$/] },
        { name: "an add-on the cluster does not install", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { addonVersions: { "aws-efs-csi-driver": "v2.1.4-eksbuild.1" } } }), expect: [/^nsip:cluster\.addonVersions\.aws-efs-csi-driver: /] },
        { name: "a kube-proxy build of another Kubernetes minor", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { kubernetesVersion: "1.34" } }), expect: [/^nsip:cluster\.addonVersions\.kubeProxy: a kube-proxy build of the cluster's Kubernetes 1\.34 \(v1\.34\.<patch>-eksbuild\.<n>\), or "default"; found v1\.35\.3-eksbuild\.2$/] },
        { name: "a node group minimum above its maximum", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { nodeGroup: { instanceTypes: ["m6i.large"], minSize: 7, desiredSize: 7, maxSize: 6, diskSizeGiB: 50 } } }), expect: [/^nsip:cluster\.nodeGroup\.maxSize: at least minSize \(7\), found 6$/] },
        { name: "an admin principal that is a group", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { adminPrincipalArns: ["arn:aws:iam::123456789012:group/admins"] } }), expect: [/^nsip:cluster\.adminPrincipalArns\[0\]: an IAM role or user ARN: arn:aws:iam::<12-digit account>:role\/<name> .*found "arn:aws:iam::123456789012:group\/admins"$/] },
        { name: "an admin principal with an 11-digit account", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { adminPrincipalArns: ["arn:aws:iam::12345678901:role/admin"] } }), expect: [/^nsip:cluster\.adminPrincipalArns\[0\]: an IAM role or user ARN.*found "arn:aws:iam::12345678901:role\/admin"$/] },
        { name: "an admin principal of another partition", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { adminPrincipalArns: ["arn:aws-cn:iam::123456789012:role/admin"] } }), expect: [/^nsip:cluster\.adminPrincipalArns\[0\]: an ARN in partition "aws" \(the region eu-west-1's\), found "arn:aws-cn:iam::123456789012:role\/admin"$/] },
        { name: "an ACM certificate in another region than the cluster", stack: "prod", raw: () => withOverrides("prod", { "nsip:edge": { tlsCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000" } }), expect: [/^nsip:edge\.tlsCertificateArn: a certificate in the cluster's region eu-west-1 \(an NLB uses ACM certificates of its own region only\), found one in us-east-1$/] },
        { name: "an ACM certificate ARN that is an IAM server certificate", stack: "prod", raw: () => withOverrides("prod", { "nsip:edge": { tlsCertificateArn: "arn:aws:iam::123456789012:server-certificate/nsip" } }), expect: [/^nsip:edge\.tlsCertificateArn: an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate\/<uuid>, found "arn:aws:iam::123456789012:server-certificate\/nsip"$/] },
        { name: "an ACM ARN whose partition does not match its region", stack: "prod", raw: () => withOverrides("prod", { "nsip:edge": { tlsCertificateArn: "arn:aws-cn:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000000" } }), expect: [/^nsip:edge\.tlsCertificateArn: an ACM certificate ARN: .*; region eu-west-1 is in partition "aws", found "arn:aws-cn:acm:eu-west-1:.*$/] },
        { name: "a TLS certificate on the local cluster", stack: "dev", raw: () => withOverrides("dev", { "nsip:edge": { tlsCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000000" } }), expect: [/^nsip:edge\.tlsCertificateArn: an ACM certificate needs an AWS load balancer; the "local" cluster serves plain http on the loopback port: leave it out$/] },
        { name: "a host name with an empty label", stack: "prod", raw: () => withOverrides("prod", { "nsip:edge": { hostname: "nsip..example.com" } }), expect: [/^nsip:edge\.hostname: a DNS host name such as "nsip\.example\.com" \(lowercase labels separated by dots\), found "nsip\.\.example\.com"$/] },
        { name: "a host name given as a URL", stack: "prod", raw: () => withOverrides("prod", { "nsip:edge": { hostname: "https://nsip.example.com" } }), expect: [/^nsip:edge\.hostname: a DNS host name .*found "https:\/\/nsip\.example\.com"$/] },
        { name: "a cron minute out of range", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { schedule: "60 3 * * *" } }), expect: [/^nsip:backup\.schedule: a 5-field cron schedule \(minute hour day-of-month month day-of-week\) such as "0 3 \* \* \*"; minute must be 0-59, found "60 3 \* \* \*"$/] },
        { name: "a cron day of week out of range", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { schedule: "0 3 * * 7" } }), expect: [/^nsip:backup\.schedule: .*; day of week must be 0-6 or SUN-SAT, found "0 3 \* \* 7"$/] },
        { name: "a cron range that ends before it starts", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { schedule: "0 22-2 * * *" } }), expect: [/^nsip:backup\.schedule: .*; hour range "22-2" ends before it starts, found "0 22-2 \* \* \*"$/] },
        { name: "a cron step of zero", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { schedule: "*/0 * * * *" } }), expect: [/^nsip:backup\.schedule: .*; minute step must be positive, found "\*\/0 \* \* \* \*"$/] },
        { name: "a cron schedule with a time zone", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { schedule: "CRON_TZ=UTC 0 3 * * *" } }), expect: [/^nsip:backup\.schedule: .*; set no time zone in it \(CronJobs take spec\.timeZone\), found "CRON_TZ=UTC 0 3 \* \* \*"$/] },
        { name: "an nginx limit_req burst of 0 (nginx -t: invalid burst value)", stack: "dev", raw: () => withOverrides("dev", { "nsip:edge": { apiRateLimit: { requestsPerSecond: 10, burst: 0 } } }), expect: [/^nsip:edge\.apiRateLimit\.burst: an integer from 1 to 100000 \(nginx rejects burst=0\), found 0$/] },
        { name: "an nginx size with a unit nginx does not know", stack: "dev", raw: () => withOverrides("dev", { "nsip:edge": { clientMaxBodySize: "11mb" } }), expect: [/^nsip:edge\.clientMaxBodySize: an nginx size from 1k to 1024m, digits with k or m, such as "11m", found "11mb"$/] },
        { name: "an edge body limit below the api's upload limit", stack: "dev", raw: () => withOverrides("dev", { "nsip:edge": { clientMaxBodySize: "10m" } }), expect: [/^nsip:edge\.clientMaxBodySize: more than nsip:api\.maxUploadBytes \(10485760 bytes\) plus multipart overhead, so the api answers oversize uploads; found "10m" = 10485760 bytes$/] },
        { name: "a registry server given as a URL", stack: "dev", secretKeys: ["nsip:cluster"], raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team", registry: { server: "https://registry.example.com", repositoryPrefix: "nsip" } }, "nsip:edge": { hostname: "nsip.example.com" } }), expect: [/^nsip:cluster\.registry\.server: a registry host\[:port\] such as "registry\.example\.com" or "registry\.example\.com:5000" \(no scheme, no path\); drop the scheme, found "https:\/\/registry\.example\.com"$/] },
        { name: "a registry port out of range", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team", registry: { server: "registry.example.com:70000", repositoryPrefix: "nsip" } }, "nsip:edge": { hostname: "nsip.example.com" } }), expect: [/^nsip:cluster\.registry\.server: .*; the port must be 1-65535, found "registry\.example\.com:70000"$/] },
        { name: "a repository prefix with an empty component", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team", registry: { server: "registry.example.com", repositoryPrefix: "team//nsip" } }, "nsip:edge": { hostname: "nsip.example.com" } }), expect: [/^nsip:cluster\.registry\.repositoryPrefix: a repository path such as "team\/nsip".*, found "team\/\/nsip"$/] },
        { name: "a registry password without a username", stack: "dev", secretKeys: ["nsip:cluster"], raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team", registry: { server: "registry.example.com", repositoryPrefix: "nsip", password: "s3cret" } }, "nsip:edge": { hostname: "nsip.example.com" } }), expect: [/^nsip:cluster\.registry\.username: required with nsip:cluster\.registry\.password, found nothing$/] },
        { name: "a registry password in plain text", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "existing", context: "team", registry: { server: "registry.example.com", repositoryPrefix: "nsip", username: "ci", password: "s3cret" } }, "nsip:edge": { hostname: "nsip.example.com" } }), expect: [/^nsip:cluster\.registry\.password: must be set as a secret: pulumi config set --secret --path nsip:cluster\.registry\.password <value>$/] },
        { name: "a CORS origin with a trailing slash", stack: "dev", raw: () => withOverrides("dev", { "nsip:api": { corsOrigins: ["https://app.example.com/"] } }), expect: [/^nsip:api\.corsOrigins\[0\]: an origin: .* \(it would be "https:\/\/app\.example\.com"\), found "https:\/\/app\.example\.com\/"$/] },
        { name: "a CORS origin with a path", stack: "dev", raw: () => withOverrides("dev", { "nsip:api": { corsOrigins: ["https://app.example.com", "https://app.example.com/ui"] } }), expect: [/^nsip:api\.corsOrigins\[1\]: an origin: .*found "https:\/\/app\.example\.com\/ui"$/] },
        { name: "local ports that collide", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "local", apiPort: 6443, registryPort: 8080, edgePort: 8080 } }), expect: [/^nsip:cluster\.edgePort: a port no other local-cluster key uses, found 8080, already nsip:cluster\.registryPort$/] },
        { name: "a privileged local port", stack: "dev", raw: () => withOverrides("dev", { "nsip:cluster": { provider: "local", edgePort: 80 } }), expect: [/^nsip:cluster\.edgePort: an integer from 1024 to 65535 \(an unprivileged port\), found 80$/] },
        { name: "a Redis size in Kubernetes units", stack: "dev", raw: () => withOverrides("dev", { "nsip:redis": { maxmemory: "256Mi" } }), expect: [/^nsip:redis\.maxmemory: a Redis memory size from 1mb to 1024gb, .*, found "256Mi"$/] },
        { name: "Redis maxmemory that leaves its container no headroom", stack: "dev", raw: () => withOverrides("dev", { "nsip:redis": { maxmemory: "384mb" } }), expect: [/^nsip:redis\.maxmemory: at most 3\/4 of nsip:services\.redis\.resources\.limits\.memory \(384Mi = 402653184 bytes, so 301989888 bytes\), .*found "384mb" = 402653184 bytes$/] },
        { name: "a scrape interval below Prometheus's 10 s scrape timeout", stack: "dev", raw: () => withOverrides("dev", { "nsip:observability": { scrapeIntervalSeconds: 5 } }), expect: [/^nsip:observability\.scrapeIntervalSeconds: an integer from 10 to 300 \(scrape_timeout is 10s and may not exceed it\), found 5$/] },
        { name: "an error ratio of 1", stack: "dev", raw: () => withOverrides("dev", { "nsip:observability": { apiErrorRatioThreshold: 1 } }), expect: [/^nsip:observability\.apiErrorRatioThreshold: a ratio between 0 and 1 \(exclusive\), such as 0\.05, found 1$/] },
        { name: "a Grafana admin user grafana.ini cannot hold", stack: "dev", raw: () => withOverrides("dev", { "nsip:observability": { grafanaAdminUser: "admin user" } }), expect: [/^nsip:observability\.grafanaAdminUser: a Grafana login of 1 to 64 letters, digits, '\.', '_', '@' or '-', found "admin user"$/] },
        { name: "an image version that is not a label value", stack: "dev", raw: () => withOverrides("dev", { "nsip:images": { version: "1.0.0+build/7" } }), expect: [/^nsip:images\.version: a Kubernetes label value: 1 to 63 .*, found "1\.0\.0\+build\/7"$/] },
        { name: "a source repository that is not http(s)", stack: "dev", raw: () => withOverrides("dev", { "nsip:images": { sourceRepository: "git@github.com:team/nsip.git" } }), expect: [/^nsip:images\.sourceRepository: an http\(s\) URL, found "git@github\.com:team\/nsip\.git"$/] },
        { name: "an upload limit above 1 GiB", stack: "dev", raw: () => withOverrides("dev", { "nsip:api": { maxUploadBytes: 2 * 1024 ** 3 } }), expect: [/^nsip:api\.maxUploadBytes: an integer from 1024 to 1073741824, found 2147483648$/] },
        { name: "a fractional replica count", stack: "dev", raw: () => withOverrides("dev", { "nsip:services": { nginx: { replicas: 1.5 } } }), expect: [/^nsip:services\.nginx\.replicas: an integer from 1 to 50, found 1\.5$/] },
        { name: "the same admin principal twice (two access entries for one principal)", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { adminPrincipalArns: ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b", "arn:aws:iam::123456789012:role/a"] } }), expect: [/^nsip:cluster\.adminPrincipalArns\[2\]: a value not already listed \(it repeats \[0\]\), found "arn:aws:iam::123456789012:role\/a"$/] },
        // The prod floor.
        { name: "prod with baseline pod security", stack: "prod", raw: () => withOverrides("prod", { "nsip:hardening": { podSecurityLevel: "baseline" } }), expect: [/^nsip:hardening\.podSecurityLevel: prod enforces "restricted", found "baseline"/] },
        { name: "prod without PodDisruptionBudgets", stack: "prod", raw: () => withOverrides("prod", { "nsip:hardening": { podDisruptionBudgets: false } }), expect: [/^nsip:hardening\.podDisruptionBudgets: prod requires true/] },
        { name: "prod without data protection", stack: "prod", raw: () => withOverrides("prod", { "nsip:hardening": { protectData: false } }), expect: [/^nsip:hardening\.protectData: prod requires true/] },
        { name: "prod with a single frontend replica", stack: "prod", raw: () => withOverrides("prod", { "nsip:services": { frontend: { replicas: 1 } } }), expect: [/^nsip:services\.frontend\.replicas: prod runs stateless services with at least 2 replicas, found 1/] },
        { name: "prod without TLS", stack: "prod", raw: () => { const raw = stackFile("prod"); raw["nsip:edge"] = JSON.stringify({ hostname: "nsip.example.com" }); return raw; }, expect: [/^nsip:edge\.tlsCertificateArn: prod terminates TLS/] },
        { name: "prod with the API endpoint open to the world", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { publicAccessCidrs: ["0.0.0.0/0"] } }), expect: [/^nsip:cluster\.publicAccessCidrs: prod limits the public API endpoint/] },
        { name: "prod on the local cluster", stack: "prod", raw: () => ({ ...stackFile("prod"), "nsip:cluster": JSON.stringify({ provider: "local" }) }), expect: [/^nsip:cluster\.provider: prod runs on "eks" or "existing"/] },
        { name: "prod on EKS without backups", stack: "prod", raw: () => withOverrides("prod", { "nsip:backup": { enabled: false } }), expect: [/^nsip:backup\.enabled: prod on EKS backs PostgreSQL up to S3: requires true, found false/] },
        { name: "prod keeping logs 30 days", stack: "prod", raw: () => withOverrides("prod", { "nsip:cluster": { logRetentionDays: 30 } }), expect: [/^nsip:cluster\.logRetentionDays: prod keeps control-plane logs at least 90 days, found 30/] },
    ];

    describe("invalid stacks are rejected with the key and what was expected", () => {
        for (const c of invalid) {
            it(c.name, () => {
                const found = problems(c.raw(), c.stack, c.secretKeys);
                for (const pattern of c.expect) {
                    assert.ok(found.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got:\n${found.join("\n")}`);
                }
            });
        }
    });

    // Problems of different stages (keys and secrets, schema, cross-field rules, the prod floor) in one run.
    const everyStage: { name: string; stack: string; raw: () => Record<string, string>; expect: string[]; absent?: RegExp[] }[] = [
        {
            name: "prod: an unknown key, a schema error, a cross-field rule and two floor violations",
            stack: "prod",
            raw: () =>
                withOverrides("prod", {
                    "nsip:replicsa": "3",
                    "nsip:cluster": { vpcCidr: "10.0.0.0/8", logRetentionDays: 30 },
                    "nsip:services": { api: { replicas: 1, resources: res({ requests: { cpu: "2" } }) } },
                    "nsip:hardening": { podSecurityLevel: "baseline" },
                }),
            expect: [
                "nsip:replicsa: unknown key; expected one of",
                "nsip:cluster.vpcCidr: a VPC CIDR from /16 to /24",
                "nsip:services.api.resources.requests.cpu: at most the limit \"500m\"",
                "nsip:services.api.replicas: prod runs stateless services with at least 2 replicas, found 1",
                "nsip:hardening.podSecurityLevel: prod enforces \"restricted\", found \"baseline\"",
                // The same cluster section has a schema error, yet its valid sibling is still checked against the floor.
                "nsip:cluster.logRetentionDays: prod keeps control-plane logs at least 90 days, found 30",
            ],
        },
        {
            name: "prod: missing required keys next to schema errors and a floor violation",
            stack: "prod",
            raw: () => {
                const raw = stackFile("prod");
                raw["nsip:cluster"] = JSON.stringify({ provider: "existing", registry: { server: "https://r.example.com", repositoryPrefix: "nsip", password: "x" } });
                raw["nsip:edge"] = JSON.stringify({ clientMaxBodySize: "11MB" });
                raw["nsip:hardening"] = JSON.stringify({ protectData: false });
                return raw;
            },
            expect: [
                "nsip:cluster.kubeconfig: set kubeconfig",
                "nsip:cluster.registry.server: a registry host[:port]",
                "nsip:cluster.registry.password: must be set as a secret",
                "nsip:cluster.registry.username: required with nsip:cluster.registry.password, found nothing",
                "nsip:edge.hostname: required on an \"existing\" cluster",
                "nsip:edge.clientMaxBodySize: an nginx size",
                "nsip:edge.tlsCertificateArn: prod terminates TLS at the edge",
                "nsip:hardening.protectData: prod requires true, found false",
            ],
        },
        {
            name: "dev: an unknown environment, a bad cron field, colliding ports and the EKS backup bucket off EKS",
            stack: "dev",
            raw: () =>
                withOverrides("dev", {
                    "nsip:environment": "staging",
                    "nsip:backup": { enabled: true, schedule: "0 24 * * *", target: { kind: "s3" } },
                    "nsip:cluster": { provider: "local", apiPort: 25000 },
                }),
            expect: [
                "nsip:environment: expected \"dev\" or \"prod\", found \"staging\"",
                "nsip:backup.schedule: a 5-field cron schedule (minute hour day-of-month month day-of-week) such as \"0 3 * * *\"; hour must be 0-23, found \"0 24 * * *\"",
                "nsip:cluster.registryPort: a port no other local-cluster key uses, found 25000, already nsip:cluster.apiPort",
                "nsip:backup.target.kind: \"s3\" is the stack's own bucket on EKS, found a \"local\" cluster",
            ],
        },
        {
            name: "a rule that needs a rejected value is skipped, not crashed: one message for a bad request",
            stack: "dev",
            raw: () => withOverrides("dev", { "nsip:services": { api: { resources: res({ requests: { cpu: "lots" } }) } }, "nsip:redis": { maxmemory: "lots" } }),
            expect: ["nsip:services.api.resources.requests.cpu: a Kubernetes CPU quantity", "nsip:redis.maxmemory: a Redis memory size"],
            absent: [/at most the limit/, /at most 3\/4/],
        },
    ];

    describe("problems of every stage are reported in one run", () => {
        for (const c of everyStage) {
            it(c.name, () => {
                const found = problems(c.raw(), c.stack);
                for (const start of c.expect) {
                    assert.ok(found.some((p) => p.startsWith(start)), `expected a problem starting ${JSON.stringify(start)}, got:\n${found.join("\n")}`);
                }
                for (const pattern of c.absent ?? []) {
                    assert.deepEqual(found.filter((p) => pattern.test(p)), [], `no problem should match ${pattern}`);
                }
                assert.equal(new Set(found).size, found.length, "each problem once");
            });
        }
    });

    it("reports every problem together, not just the first", () => {
        const found = problems(
            withOverrides("prod", {
                "nsip:replicsa": "3",
                "nsip:hardening": { topologySpread: false },
                "nsip:services": { api: { replicas: 1 } },
            }),
            "prod",
        );
        for (const key of ["nsip:replicsa", "nsip:hardening.topologySpread", "nsip:services.api.replicas"]) {
            assert.ok(found.some((p) => p.startsWith(`${key}:`)), `missing ${key} in:\n${found.join("\n")}`);
        }
    });

    it("the error message lists one problem per line, each naming its key", () => {
        try {
            parseStackConfig(withOverrides("dev", { "nsip:replicsa": "3", "nsip:edge": { clientMaxBodySiz: "1m" } }), { stack: "dev" });
            assert.fail("expected rejection");
        } catch (error) {
            assert.ok(error instanceof NsipConfigError);
            assert.equal(error.name, "NsipConfigError");
            const lines = error.message.split("\n");
            assert.match(lines[0], /2 problems/);
            assert.ok(lines.some((l) => l.includes("nsip:replicsa")));
            assert.ok(lines.some((l) => l.includes("nsip:edge.clientMaxBodySiz")));
        }
    });

    it("every VPC size and AZ count the schema accepts is one the VPC component can split", function () {
        this.timeout(30_000);
        const accepted = (cidr: string, zones: number) => {
            try {
                parseStackConfig(withOverrides("prod", { "nsip:cluster": { vpcCidr: cidr, availabilityZones: zones } }), { stack: "prod" });
                return true;
            } catch {
                return false;
            }
        };
        let pairs = 0;
        for (let prefix = 15; prefix <= 25; prefix++) {
            for (let zones = 1; zones <= MAX_AVAILABILITY_ZONES + 1; zones++) {
                const cidr = `10.0.0.0/${prefix}`;
                if (!accepted(cidr, zones)) continue;
                pairs++;
                const plan = subnetPlan(cidr, zones);
                assert.equal(plan.privateCidrs.length, zones);
            }
        }
        // /16 to /24, 2 to 4 zones.
        assert.equal(pairs, 9 * 3);
    });

    it("keys of other namespaces (aws:, kubernetes:) are left alone", () => {
        const raw = { ...stackFile("dev"), "aws:region": "eu-west-1", "kubernetes:enableServerSideApply": "true" };
        assert.equal(parseStackConfig(raw, { stack: "dev" }).environment, "dev");
    });
});
