import { strict as assert } from "assert";
import { renderToTemp } from "./support/render-helper";
import { autoName } from "../tools/render/mocks";
import { EKS_ADDONS } from "../components/cluster/addons";
import { dependencyClosure, resourcesOfType } from "./support/rendered";

const IMAGE = "docker:index/image:Image";

describe("the program graph", function () {
    this.timeout(180_000);

    for (const stack of ["dev", "prod"]) {
        describe(stack, () => {
            it("builds the three application images, content-tagged, never `latest`", async () => {
                const images = resourcesOfType(await renderToTemp(stack), IMAGE);
                assert.equal(images.length, 3);
                for (const image of images) {
                    const name = image.inputs.imageName as string;
                    assert.match(name, /\/nsip\/(api|frontend|analyzer):[0-9a-f]{16}$/, name);
                    const build = image.inputs.build as Record<string, unknown>;
                    assert.equal(build.platform, "linux/amd64");
                    assert.match(build.dockerfile as string, /apps\/(api|frontend|analyzer)\/Dockerfile$/);
                }
            });

            it("no image build waits on the cluster (nothing on their dependency path is the cluster, node group or k3s)", async () => {
                const r = await renderToTemp(stack);
                const clusterTypes = new Set(["aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:ec2/vpc:Vpc", "pulumi:providers:kubernetes"]);
                const k3s = r.resources.filter((res) => res.type === "docker:index/container:Container" && /k3s/.test(res.name)).map((res) => res.urn);
                const byUrn = new Map(r.resources.map((res) => [res.urn, res]));
                for (const image of resourcesOfType(r, IMAGE)) {
                    const upstream = [...dependencyClosure(r, image.urn)];
                    const offending = upstream.filter((urn) => clusterTypes.has(byUrn.get(urn)?.type ?? "") || k3s.includes(urn));
                    assert.deepEqual(offending, [], `${image.name} waits on the cluster`);
                    assert.ok(upstream.length > 0, `${image.name} waits on its registry`);
                }
            });

            it("every Kubernetes resource goes through one explicit provider", async () => {
                const r = await renderToTemp(stack);
                const providers = resourcesOfType(r, "pulumi:providers:kubernetes");
                assert.equal(providers.length, 1);
                assert.equal(providers[0].inputs.enableServerSideApply, "true");
                // Replaced (not updated) ConfigMaps would drag their workloads into a delete-and-recreate.
                assert.equal(providers[0].inputs.enableConfigMapMutable, "true");
                assert.equal(providers[0].inputs.enableSecretMutable, "true");
                for (const res of r.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) {
                    assert.equal(res.provider, providers[0].urn, `${res.type} ${res.name}`);
                }
            });

            it("every pod owner waits for its ServiceAccount (no pod creation racing a missing account)", async () => {
                const r = await renderToTemp(stack);
                const accounts = new Map(resourcesOfType(r, "kubernetes:core/v1:ServiceAccount").map((sa) => [(sa.inputs.metadata as { name: string }).name, sa.urn]));
                const owners = r.resources.filter((x) => /^kubernetes:(apps\/v1:(Deployment|StatefulSet)|batch\/v1:(Job|CronJob))$/.test(x.type));
                assert.ok(owners.length >= 9, `found ${owners.length} pod owners`);
                for (const owner of owners) {
                    const text = JSON.stringify(owner.inputs);
                    const accountName = /"serviceAccountName":"([^"]+)"/.exec(text)?.[1];
                    assert.ok(accountName, `${owner.name} names a ServiceAccount`);
                    const account = accounts.get(accountName);
                    assert.ok(account, `${owner.name}'s ServiceAccount ${accountName} is declared`);
                    assert.ok(owner.dependencies.includes(account), `${owner.name} depends on ServiceAccount ${accountName}`);
                }
            });

            it("generated secrets come from @pulumi/random and are exported only as secrets", async () => {
                const r = await renderToTemp(stack);
                assert.equal(resourcesOfType(r, "random:index/randomPassword:RandomPassword").length, 4);
                assert.equal(r.outputs.kubeconfig.secret, true);
                assert.equal(r.outputs.grafanaAdminPassword.secret, true);
                for (const [name, output] of Object.entries(r.outputs)) {
                    if (!output.secret) assert.doesNotMatch(JSON.stringify(output.value), /password|BEGIN .*PRIVATE KEY/i, name);
                }
            });

            it("exports the public outputs contract", async () => {
                const { outputs } = await renderToTemp(stack);
                for (const key of ["namespace", "publicUrl", "grafanaUrl", "apiEndpoint", "analyzerEndpoint", "postgresEndpoint", "redisEndpoint", "prometheusEndpoint", "imageDigests", "clusterName", "kubeconfig"]) {
                    assert.ok(key in outputs, `missing output ${key}`);
                }
                assert.equal(outputs.apiEndpoint.value, "api.nsip.svc.cluster.local:3000");
                assert.equal(outputs.postgresEndpoint.value, "postgres.nsip.svc.cluster.local:5432");
                assert.equal(outputs.grafanaUrl.value, `${outputs.publicUrl.value}/grafana/`);
                const digests = outputs.imageDigests.value as Record<string, string>;
                assert.deepEqual(Object.keys(digests).sort(), ["analyzer", "api", "frontend"]);
                for (const ref of Object.values(digests)) assert.match(ref, /@sha256:[0-9a-f]{64}$/);
            });
        });
    }

    describe("dev: local cluster", () => {
        it("k3s and a registry as containers on a private network, published on 127.0.0.1 only", async () => {
            const r = await renderToTemp("dev");
            const containers = resourcesOfType(r, "docker:index/container:Container");
            assert.equal(containers.length, 2);
            assert.equal(resourcesOfType(r, "docker:index/network:Network").length, 1);
            for (const c of containers) {
                for (const port of (c.inputs.ports as { ip?: string }[]) ?? []) assert.equal(port.ip, "127.0.0.1", c.name);
            }
            assert.equal(r.outputs.publicUrl.value, "http://127.0.0.1:28080");
            const dockerProviders = resourcesOfType(r, "pulumi:providers:docker").map((p) => p.urn);
            for (const res of r.resources.filter((x) => x.custom && x.type.startsWith("docker:"))) {
                assert.ok(res.provider && dockerProviders.includes(res.provider), `${res.type} ${res.name} uses an explicit docker provider`);
            }
            assert.equal(resourcesOfType(r, "aws:eks/cluster:Cluster").length, 0);
        });
    });

    describe("prod: EKS", () => {
        it("each workload waits for what it uses of the cluster, and none for the observability add-on", async () => {
            const r = await renderToTemp("prod");
            const byUrn = new Map(r.resources.map((res) => [res.urn, res]));
            // Dependencies and the explicit provider both hold a resource back.
            const upstream = (urn: string): Set<string> => {
                const seen = new Set<string>();
                const queue = [urn];
                while (queue.length > 0) {
                    const res = byUrn.get(queue.pop()!)!;
                    for (const next of [...res.dependencies, ...(res.provider ? [res.provider] : [])]) {
                        if (!seen.has(next)) {
                            seen.add(next);
                            queue.push(next);
                        }
                    }
                }
                return seen;
            };
            const addons = new Map(resourcesOfType(r, "aws:eks/addon:Addon").map((a) => [a.inputs.addonName as string, a.urn]));
            const [nodeGroup] = resourcesOfType(r, "aws:eks/nodeGroup:NodeGroup");
            const podOwners = r.resources.filter((x) => /^kubernetes:(apps\/v1:(Deployment|StatefulSet)|batch\/v1:(Job|CronJob))$/.test(x.type));
            assert.ok(podOwners.length >= 10, `found ${podOwners.length} pod owners`);
            const claimsVolume = (owner: (typeof podOwners)[number]) => JSON.stringify(owner.inputs).includes('"persistentVolumeClaim"');
            const claimers = new Set(podOwners.filter(claimsVolume).map((o) => o.urn));
            assert.ok(claimers.size >= 3, "postgres, redis and prometheus claim volumes");
            const withoutVolumes: string[] = [];
            for (const owner of podOwners) {
                const waits = upstream(owner.urn);
                assert.ok(!waits.has(addons.get("amazon-cloudwatch-observability")!), `${owner.name} waits on the observability add-on`);
                for (const needed of ["vpc-cni", "coredns"]) assert.ok(waits.has(addons.get(needed)!), `${owner.name} waits for ${needed}`);
                assert.ok(waits.has(nodeGroup.urn), `${owner.name} waits for nodes`);
                // The CSI driver only for a claim of its own or one of a workload it waits for (the api's migrations wait for postgres).
                const needsVolumes = claimsVolume(owner) || [...waits].some((urn) => claimers.has(urn));
                assert.equal(waits.has(addons.get("aws-ebs-csi-driver")!), needsVolumes, `${owner.name}: EBS CSI driver only with a volume claim`);
                if (!needsVolumes) withoutVolumes.push(owner.name);
            }
            assert.deepEqual(withoutVolumes.sort(), ["nsip-analyzer-deployment", "nsip-cluster-autoscaler-deployment", "nsip-frontend-deployment", "nsip-grafana-deployment", "nsip-health-probe-template", "nsip-kube-state-metrics-deployment", "nsip-nginx-deployment"]);
            // Namespace, Secrets and RBAC go in while the nodes still join.
            const [namespace] = resourcesOfType(r, "kubernetes:core/v1:Namespace");
            assert.ok(!upstream(namespace.urn).has(nodeGroup.urn));
        });

        it("every managed add-on has an explicit version in the graph: the profile's 1.35 pins, EKS's default for the rest", async () => {
            const r = await renderToTemp("prod");
            const versions = Object.fromEntries(resourcesOfType(r, "aws:eks/addon:Addon").map((a) => [a.inputs.addonName as string, a.inputs.addonVersion]));
            assert.deepEqual(Object.keys(versions).sort(), [...EKS_ADDONS].sort());
            for (const [name, version] of Object.entries(versions)) assert.match(String(version), /^v\d+\.\d+\.\d+-eksbuild\.\d+$/, `${name} has no version`);
            assert.equal(versions["kube-proxy"], "v1.35.3-eksbuild.2");
            assert.equal(versions["coredns"], "v1.13.2-eksbuild.4");
            // The render's getAddonVersion mock answers v1.0.0-eksbuild.1 for "default": the looked-up value, not a pin.
            for (const name of ["vpc-cni", "eks-pod-identity-agent", "aws-ebs-csi-driver", "amazon-cloudwatch-observability"]) assert.equal(versions[name], "v1.0.0-eksbuild.1", name);
        });

        it("node autoscaling: the Cluster Autoscaler finds the node group by its tags and may scale only this cluster's groups", async () => {
            const r = await renderToTemp("prod");
            const deployment = r.manifests["20-deployment-nsip-cluster-autoscaler.yaml"] as Record<string, any>;
            const [container] = deployment.spec.template.spec.containers;
            assert.ok(container.args.includes("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/nsip-prod"));
            assert.ok(container.args.includes("--namespace=nsip"));
            // The autoscaler's minor follows the cluster's.
            assert.match(container.image, /^registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v1\.35\.\d+$/);

            const [association] = resourcesOfType(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation").filter((a) => a.inputs.serviceAccount === "cluster-autoscaler");
            assert.deepEqual([association.inputs.namespace, association.inputs.clusterName], ["nsip", "nsip-prod"]);
            const [deploymentResource] = resourcesOfType(r, "kubernetes:apps/v1:Deployment").filter((d) => d.name === "nsip-cluster-autoscaler-deployment");
            assert.ok(dependencyClosure(r, deploymentResource.urn).has(association.urn), "no autoscaler pod before its AWS credentials");

            const role = resourcesOfType(r, "aws:iam/role:Role").find((x) => x.urn === association.dependencies.find((d) => d.includes("iam/role:Role")))!;
            assert.match(role.inputs.assumeRolePolicy as string, /pods\.eks\.amazonaws\.com/);
            const [policy] = resourcesOfType(r, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.dependencies.includes(role.urn));
            const statements = JSON.parse(policy.inputs.policy as string).Statement as { Action: string[]; Resource: string; Condition?: object }[];
            const byAction = new Map(statements.flatMap((s) => s.Action.map((a) => [a, s])));
            for (const write of ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]) {
                assert.deepEqual(byAction.get(write)!.Condition, { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/nsip-prod": "owned" } }, write);
            }
            assert.equal(byAction.get("eks:DescribeNodegroup")!.Resource, "arn:aws:eks:*:*:nodegroup/nsip-prod/*/*");
            // Everything else only reads.
            for (const [action, statement] of byAction) {
                if (statement.Condition === undefined && !action.startsWith("eks:")) assert.match(action, /^(autoscaling|ec2):(Describe|Get)/, action);
            }
            assert.equal(resourcesOfType(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((p) => p.dependencies.includes(role.urn)).length, 0);
        });

        it("Secrets encrypted with a rotating KMS key, control-plane logs kept 90 days", async () => {
            const r = await renderToTemp("prod");
            const [cluster] = resourcesOfType(r, "aws:eks/cluster:Cluster");
            const [key] = resourcesOfType(r, "aws:kms/key:Key");
            assert.equal(key.inputs.enableKeyRotation, true);
            const encryption = cluster.inputs.encryptionConfig as { resources: string[] };
            assert.deepEqual(encryption.resources, ["secrets"]);
            assert.deepEqual([...(cluster.inputs.enabledClusterLogTypes as string[])].sort(), ["api", "audit", "authenticator"]);
            const [logGroup] = resourcesOfType(r, "aws:cloudwatch/logGroup:LogGroup").filter((g) => g.inputs.name === "/aws/eks/nsip-prod/cluster");
            assert.equal(logGroup.inputs.retentionInDays, 90);
            assert.ok(cluster.dependencies.includes(logGroup.urn));
        });

        it("authentication mode API with an access entry per admin; CIDR-limited public endpoint", async () => {
            const r = await renderToTemp("prod");
            const [cluster] = resourcesOfType(r, "aws:eks/cluster:Cluster");
            assert.equal((cluster.inputs.accessConfig as { authenticationMode: string }).authenticationMode, "API");
            const vpc = cluster.inputs.vpcConfig as { endpointPrivateAccess: boolean; publicAccessCidrs: string[] };
            assert.equal(vpc.endpointPrivateAccess, true);
            assert.deepEqual(vpc.publicAccessCidrs, ["203.0.113.0/24"]);
            const entries = resourcesOfType(r, "aws:eks/accessEntry:AccessEntry");
            assert.deepEqual(entries.map((e) => e.inputs.principalArn), ["arn:aws:iam::123456789012:role/platform-admin"]);
        });

        it("nodes on a launch template with IMDSv2 required and hop limit 1; vpc-cni enforces network policy", async () => {
            const r = await renderToTemp("prod");
            const [template] = resourcesOfType(r, "aws:ec2/launchTemplate:LaunchTemplate");
            const metadata = template.inputs.metadataOptions as { httpTokens: string; httpPutResponseHopLimit: number };
            assert.equal(metadata.httpTokens, "required");
            assert.equal(metadata.httpPutResponseHopLimit, 1);
            const addons = resourcesOfType(r, "aws:eks/addon:Addon");
            assert.deepEqual(addons.map((a) => a.inputs.addonName).sort(), ["amazon-cloudwatch-observability", "aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
            const cni = addons.find((a) => a.inputs.addonName === "vpc-cni")!;
            assert.equal(JSON.parse(cni.inputs.configurationValues as string).enableNetworkPolicy, "true");
        });

        it("one ECR repository per image: scan on push, immutable tags but the build cache, lifecycle policy", async () => {
            const r = await renderToTemp("prod");
            const repos = resourcesOfType(r, "aws:ecr/repository:Repository");
            assert.equal(repos.length, 3);
            for (const repo of repos) {
                assert.equal((repo.inputs.imageScanningConfiguration as { scanOnPush: boolean }).scanOnPush, true);
                assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
                assert.deepEqual(repo.inputs.imageTagMutabilityExclusionFilters, [{ filter: "buildcache", filterType: "WILDCARD" }]);
            }
            assert.equal(resourcesOfType(r, "aws:ecr/lifecyclePolicy:LifecyclePolicy").length, 3);
        });

        it("ECR lifecycle never expires what the stack deploys: each repository's first rule claims the tag its image is pushed as", async () => {
            const r = await renderToTemp("prod");
            const repositories = new Map(resourcesOfType(r, "aws:ecr/repository:Repository").map((repo) => [repo.urn, repo.inputs.name as string]));
            const policies = resourcesOfType(r, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
            const images = resourcesOfType(r, IMAGE);
            assert.equal(images.length, 3);
            for (const image of images) {
                // <registry>/nsip/<app>:<content tag>; the pods run that push by digest.
                const [, repositoryName, tag] = /\/(nsip\/[a-z]+):([0-9a-f]{16})$/.exec(String(image.inputs.imageName)) ?? [];
                assert.ok(repositoryName && tag, `image name ${image.inputs.imageName}`);
                const policy = policies.find((p) => p.inputs.repository === repositoryName || repositories.get(String(p.inputs.repository)) === repositoryName);
                assert.ok(policy, `a lifecycle policy for ${repositoryName}`);
                const rules = JSON.parse(String(policy.inputs.policy)).rules;
                assert.deepEqual(rules[0].selection, { tagStatus: "tagged", tagPatternList: [tag], countType: "imageCountMoreThan", countNumber: 1 });
                assert.equal(rules[0].rulePriority, 1);
                assert.ok(rules.slice(1).every((rule: { selection: { tagStatus: string } }) => rule.selection.tagStatus !== "any"), "no rule of lower priority selects every image");
            }
        });

        it("registry build cache: each image pulls and refreshes its :buildcache tag", async () => {
            const r = await renderToTemp("prod");
            for (const image of resourcesOfType(r, IMAGE)) {
                const build = image.inputs.build as { cacheFrom: { images: string[] }; args: Record<string, string> };
                assert.match(build.cacheFrom.images[0], /:buildcache$/);
                assert.equal(build.args.BUILDKIT_INLINE_CACHE, "1");
            }
            assert.equal(resourcesOfType(r, "docker:index/registryImage:RegistryImage").length, 3);
        });

        it("backups: a private, versioned, encrypted bucket expiring dumps after retentionDays, protected in prod", async () => {
            const r = await renderToTemp("prod");
            const [bucket] = resourcesOfType(r, "aws:s3/bucket:Bucket");
            assert.ok(bucket.protect && bucket.retainOnDelete, "a teardown never takes the backups with it");
            const on = (type: string) => {
                const found = resourcesOfType(r, type);
                assert.equal(found.length, 1, type);
                assert.ok(found[0].dependencies.includes(bucket.urn), `${type} configures the backup bucket`);
                return found[0].inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
            };
            const block = on("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
            for (const key of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block[key], true, key);
            assert.equal(on("aws:s3/bucketVersioning:BucketVersioning").versioningConfiguration.status, "Enabled");
            assert.equal(on("aws:s3/bucketOwnershipControls:BucketOwnershipControls").rule.objectOwnership, "BucketOwnerEnforced");
            const sse = on("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules[0].applyServerSideEncryptionByDefault;
            assert.ok(["aws:kms", "AES256"].includes(sse.sseAlgorithm), sse.sseAlgorithm);
            const [rule] = on("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules;
            assert.equal(rule.status, "Enabled");
            assert.equal(rule.expiration.days, 30, "nsip:backup.retentionDays");
            assert.equal(rule.filter.prefix, "postgres/");
        });

        it("backups: the bucket refuses non-TLS requests and cleans up noncurrent versions and expired delete markers", async () => {
            const r = await renderToTemp("prod");
            const [bucket] = resourcesOfType(r, "aws:s3/bucket:Bucket");
            const [policy] = resourcesOfType(r, "aws:s3/bucketPolicy:BucketPolicy");
            assert.ok(policy.dependencies.includes(bucket.urn));
            const [statement] = JSON.parse(policy.inputs.policy as string).Statement;
            const arn = statement.Resource[0] as string;
            assert.deepEqual(statement, {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [arn, `${arn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
            assert.match(arn, /^arn:aws:s3:::/);
            const [lifecycle] = resourcesOfType(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
            const rules = lifecycle.inputs.rules as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
            assert.deepEqual(rules[0].noncurrentVersionExpiration, { noncurrentDays: 1 });
            assert.deepEqual(
                rules.filter((x) => x.expiration?.expiredObjectDeleteMarker === true).map((x) => [x.status, x.filter.prefix]),
                [["Enabled", "postgres/"]],
            );
        });

        it("backups: a Pod Identity role that may only put dumps into that bucket, associated with nsip/postgres-backup", async () => {
            const r = await renderToTemp("prod");
            const [bucket] = resourcesOfType(r, "aws:s3/bucket:Bucket");
            const bucketName = autoName(bucket.type, bucket.name);
            const association = resourcesOfType(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation").filter((a) => a.inputs.serviceAccount === "postgres-backup");
            assert.equal(association.length, 1);
            const { namespace, serviceAccount, clusterName, roleArn } = association[0].inputs as Record<string, string>;
            assert.deepEqual({ namespace, serviceAccount, clusterName }, { namespace: "nsip", serviceAccount: "postgres-backup", clusterName: "nsip-prod" });

            const role = resourcesOfType(r, "aws:iam/role:Role").find((x) => roleArn.endsWith(`/${autoName(x.type, x.name)}`))!;
            assert.ok(role, `the association's role ${roleArn} is one of ours`);
            assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy as string).Statement, [
                { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
            ]);
            const policies = resourcesOfType(r, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.dependencies.includes(role.urn));
            assert.equal(policies.length, 1, "one inline policy");
            assert.equal(resourcesOfType(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((p) => p.dependencies.includes(role.urn)).length, 0, "no managed policy");
            const statements = JSON.parse(policies[0].inputs.policy as string).Statement as { Effect: string; Action: string[]; Resource: string }[];
            assert.deepEqual(statements, [{ Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `arn:aws:s3:::${bucketName}/postgres/*` }]);
        });

        it("restores: a Pod Identity role of its own that may only list and get the dumps, associated with nsip/postgres-restore", async () => {
            const r = await renderToTemp("prod");
            const [bucket] = resourcesOfType(r, "aws:s3/bucket:Bucket");
            const bucketName = autoName(bucket.type, bucket.name);
            const association = resourcesOfType(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation").filter((a) => a.inputs.serviceAccount === "postgres-restore");
            assert.equal(association.length, 1);
            const { namespace, clusterName, roleArn } = association[0].inputs as Record<string, string>;
            assert.deepEqual({ namespace, clusterName }, { namespace: "nsip", clusterName: "nsip-prod" });
            const role = resourcesOfType(r, "aws:iam/role:Role").find((x) => roleArn.endsWith(`/${autoName(x.type, x.name)}`))!;
            assert.ok(role, `the association's role ${roleArn} is one of ours`);
            const writerAssociation = resourcesOfType(r, "aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.inputs.serviceAccount === "postgres-backup")!;
            assert.notEqual(roleArn, writerAssociation.inputs.roleArn, "not the backup's writer role");
            assert.match(role.inputs.assumeRolePolicy as string, /pods\.eks\.amazonaws\.com/);
            const policies = resourcesOfType(r, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.dependencies.includes(role.urn));
            assert.equal(policies.length, 1, "one inline policy");
            assert.equal(resourcesOfType(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((p) => p.dependencies.includes(role.urn)).length, 0, "no managed policy");
            const statements = JSON.parse(policies[0].inputs.policy as string).Statement as { Effect: string; Action: string[]; Resource: string }[];
            assert.deepEqual(statements, [
                { Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:aws:s3:::${bucketName}`, Condition: { StringLike: { "s3:prefix": ["postgres/*"] } } },
                { Effect: "Allow", Action: ["s3:GetObject"], Resource: `arn:aws:s3:::${bucketName}/postgres/*` },
            ]);
            const actions = statements.flatMap((statement) => statement.Action);
            assert.deepEqual(actions.filter((action) => /Put|Delete|\*/.test(action)), [], "cannot write or delete a backup");
            // The restore template waits for its credentials.
            const template = resourcesOfType(r, "kubernetes:batch/v1:CronJob").find((c) => c.name.endsWith("-postgres-restore-template"))!;
            assert.ok(template.dependencies.includes(association[0].urn), "the template waits for the reader's association");
        });

        it("exports the VPC, subnets and cluster endpoint", async () => {
            const { outputs } = await renderToTemp("prod");
            for (const key of ["vpcId", "privateSubnetIds", "publicSubnetIds", "clusterEndpoint"]) assert.ok(key in outputs, key);
            assert.equal(outputs.publicUrl.value, "https://nsip.example.com");
        });
    });

    describe("prebuilt images (nsip:images.prebuilt)", () => {
        const digest = (name: string) => `registry.example.com/team/${name}@sha256:${name.length.toString(16).repeat(64).slice(0, 64)}`;
        const prebuilt = { api: digest("api"), frontend: digest("frontend"), analyzer: digest("analyzer") };
        const config = {
            "nsip:cluster": { provider: "existing", context: "staging" },
            "nsip:edge": { hostname: "nsip.staging.example.com" },
            "nsip:images": { prebuilt },
        };

        it("builds nothing: no image, no Docker provider", async () => {
            const r = await renderToTemp("dev", { config });
            assert.deepEqual(r.resources.filter((resource) => resource.type.startsWith("docker:") || resource.type === "pulumi:providers:docker").map((resource) => resource.urn), []);
            assert.deepEqual(r.resources.filter((resource) => resource.type.startsWith("nsip:images:")), []);
        });

        it("runs exactly those digests, and exports them", async () => {
            const r = await renderToTemp("dev", { config });
            const images = new Set<string>();
            for (const manifest of Object.values(r.manifests)) {
                const text = JSON.stringify(manifest);
                for (const match of text.matchAll(/"image":"([^"]+)"/g)) images.add(match[1] ?? "");
            }
            for (const reference of Object.values(prebuilt)) assert.ok(images.has(reference), `${reference} is deployed`);
            assert.deepEqual(r.outputs.imageDigests.value, prebuilt);
            const migration = Object.values(r.manifests).find((manifest) => manifest.kind === "Job");
            assert.match(JSON.stringify(migration), new RegExp(prebuilt.api.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
        });
    });
});
