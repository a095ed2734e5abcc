import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ImageRegistry } from "./types";

export interface EcrRegistryArgs {
    /** Image names, one repository each, e.g. `["api", "analyzer", "frontend"]`. */
    imageNames: string[];
    /** Repository name prefix: repository `<prefix>/<image>`, e.g. `nsip` gives `nsip/api`. */
    repositoryPrefix: string;
    /** `AES256` (S3-managed keys) or `KMS` (the AWS-managed `aws/ecr` key). */
    encryption: "AES256" | "KMS";
    /** Untagged images (e.g. superseded build cache layers) expire this many days after push. */
    untaggedExpiryDays: number;
    /** Keep only the most recent N tagged images per repository. */
    keepTaggedImages: number;
    /**
     * Tag patterns (ECR wildcards, at most 2 `*` each) that stay mutable, e.g. `["cache*"]` for a registry build
     * cache that is overwritten on every build. Empty or undefined: every tag is immutable.
     */
    mutableTagPatterns?: string[];
    /** Prod: `protect` + `retainOnDelete` on the repositories so images outlive the stack. */
    protectData: boolean;
    /** Repository names (`<prefix>/<image>`) that exist already, retained by an earlier stack: adopted, not created. */
    adoptRepositories?: string[];
}

/** ECR rules: untagged images expire after N days, and only the last N tagged images are kept. */
export function ecrLifecyclePolicy(untaggedExpiryDays: number, keepTaggedImages: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Expire untagged images ${untaggedExpiryDays} days after push`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpiryDays },
                action: { type: "expire" },
            },
            {
                rulePriority: 2,
                description: `Keep the last ${keepTaggedImages} tagged images`,
                selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: keepTaggedImages },
                action: { type: "expire" },
            },
        ],
    });
}

/**
 * One ECR repository per image. Deliberately independent of the VPC and the EKS cluster (it is created as a
 * sibling, not from their outputs), so image builds and pushes overlap cluster creation.
 */
export class EcrRegistry extends pulumi.ComponentResource implements ImageRegistry {
    public readonly repositories: Record<string, aws.ecr.Repository>;
    public readonly credentials: pulumi.Output<{ server: string; username: string; password: string }>;
    public readonly pushDependsOn: pulumi.Resource[];

    constructor(name: string, args: EcrRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:cluster:EcrRegistry", name, {}, opts);
        if (args.imageNames.length === 0) {
            throw new Error("EcrRegistry needs at least one image name");
        }

        const dataOpts: pulumi.CustomResourceOptions = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };
        const mutable = args.mutableTagPatterns ?? [];
        this.repositories = {};
        for (const image of args.imageNames) {
            const repositoryName = `${args.repositoryPrefix}/${image}`;
            const adopted = args.adoptRepositories?.includes(repositoryName) ?? false;
            const repository = new aws.ecr.Repository(
                `${name}-${image}`,
                {
                    name: repositoryName,
                    imageScanningConfiguration: { scanOnPush: true },
                    imageTagMutability: mutable.length > 0 ? "IMMUTABLE_WITH_EXCLUSION" : "IMMUTABLE",
                    imageTagMutabilityExclusionFilters: mutable.length > 0 ? mutable.map((filter) => ({ filter, filterType: "WILDCARD" })) : undefined,
                    encryptionConfigurations: [{ encryptionType: args.encryption }],
                    forceDelete: false,
                },
                { ...dataOpts, import: adopted ? repositoryName : undefined },
            );
            new aws.ecr.LifecyclePolicy(
                `${name}-${image}`,
                { repository: repository.name, policy: ecrLifecyclePolicy(args.untaggedExpiryDays, args.keepTaggedImages) },
                { parent: this },
            );
            this.repositories[image] = repository;
        }

        // All repositories live in the same registry (account + region); one token serves every push.
        const anyRepository = this.repositories[args.imageNames[0]];
        const token = aws.ecr.getAuthorizationTokenOutput({ registryId: anyRepository.registryId }, { parent: this });
        this.credentials = pulumi.secret(
            token.apply((t) => ({
                // proxyEndpoint is `https://<account>.dkr.ecr.<region>.amazonaws.com`; Docker wants the bare host.
                server: t.proxyEndpoint.replace(/^https?:\/\//, ""),
                username: t.userName,
                password: t.password,
            })),
        );
        this.pushDependsOn = Object.values(this.repositories);

        this.registerOutputs({ repositoryUrls: Object.fromEntries(Object.entries(this.repositories).map(([image, repo]) => [image, repo.repositoryUrl])) });
    }

    repositoryUrl(imageName: string): pulumi.Output<string> {
        const repository = this.repositories[imageName];
        if (!repository) {
            throw new Error(`no ECR repository for image "${imageName}"; known: ${Object.keys(this.repositories).join(", ")}`);
        }
        return repository.repositoryUrl;
    }
}
