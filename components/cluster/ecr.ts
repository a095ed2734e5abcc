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
    /**
     * Untagged images expire this many days after push. With immutable tags only a failed push leaves one: the
     * platform and attestation manifests of a tagged image index are untagged too, but ECR never expires an image a
     * manifest list references while that list exists.
     */
    untaggedExpiryDays: number;
    /** Keep only the most recent N tagged images per repository (by push time), besides the deployed one. */
    keepTaggedImages: number;
    /**
     * Per image name, the tag this update deploys (its content tag). Its repository's lifecycle policy claims that tag
     * in its first rule, which never expires it, so no later rule may: the digest the stack runs is kept however many
     * newer images were pushed (failed updates, a rollback to an older build). Absent: no image is claimed.
     */
    deployedTags?: Record<string, string>;
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

/**
 * ECR rules, by ECR's lifecycle evaluation rules (an image is expired by at most one rule; an image that matches the
 * tags of a rule cannot be expired by a rule of lower priority; expiry goes oldest push first):
 * 1. with a deployed tag: select exactly that tag, keeping up to 1 image. An immutable tag names one image, so the
 *    rule never expires anything, and it shields the deployed image from the rules below;
 * 2. untagged images expire N days after push;
 * 3. beyond the newest N tagged images, the rest expire.
 */
export function ecrLifecyclePolicy(untaggedExpiryDays: number, keepTaggedImages: number, deployedTag?: string): string {
    if (deployedTag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(deployedTag)) {
        throw new Error(`deployed tag ${JSON.stringify(deployedTag)} is not a literal image tag (a wildcard would claim other images too)`);
    }
    const rules: object[] = [
        {
            description: `Expire untagged images ${untaggedExpiryDays} days after push`,
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpiryDays },
            action: { type: "expire" },
        },
        {
            description: `Keep the last ${keepTaggedImages} tagged images`,
            selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: keepTaggedImages },
            action: { type: "expire" },
        },
    ];
    if (deployedTag !== undefined) {
        rules.unshift({
            description: `Never expire ${deployedTag}, the image this stack deploys`,
            selection: { tagStatus: "tagged", tagPatternList: [deployedTag], countType: "imageCountMoreThan", countNumber: 1 },
            action: { type: "expire" },
        });
    }
    return JSON.stringify({ rules: rules.map((rule, i) => ({ rulePriority: i + 1, ...rule })) });
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
                { repository: repository.name, policy: ecrLifecyclePolicy(args.untaggedExpiryDays, args.keepTaggedImages, args.deployedTags?.[image]) },
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
