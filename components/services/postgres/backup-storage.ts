import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PostgresBackupStorageArgs {
    /** The EKS cluster the Pod Identity association belongs to. */
    clusterName: pulumi.Input<string>;
    /** Namespace and ServiceAccount of the backup CronJob: the only identity that gets the role. */
    namespace: string;
    serviceAccount: string;
    /** ServiceAccount of the restore Jobs: gets a role of its own that may only read the dumps. */
    restoreServiceAccount: string;
    /** Dumps older than this are expired by S3. */
    retentionDays: number;
    /** Prod: `protect` + `retainOnDelete` on the bucket, so a stack teardown never takes the backups with it. */
    protectData: boolean;
}

/** Key prefix of every dump in the bucket; the IAM policy allows writes below it only. */
export const BACKUP_PREFIX = "postgres/";

/**
 * Where PostgreSQL dumps go: a private, versioned, encrypted S3 bucket that expires dumps after the
 * retention period, and an IAM role that EKS Pod Identity hands to the backup CronJob's ServiceAccount.
 * The role may put objects under `postgres/` and nothing else: no read, no list, no delete. A second role, for the
 * restore Jobs' ServiceAccount, may only list and read them.
 */
export class PostgresBackupStorage extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly readerRoleArn: pulumi.Output<string>;
    /** Both Pod Identity associations: a pod started before its association gets no credentials. */
    public readonly associations: aws.eks.PodIdentityAssociation[];

    constructor(name: string, args: PostgresBackupStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:services:PostgresBackupStorage", name, {}, opts);
        const child = { parent: this };
        const dataOpts: pulumi.CustomResourceOptions = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };

        const bucket = new aws.s3.Bucket(`${name}-bucket`, {}, dataOpts);
        const bucketOpts = { parent: this, dependsOn: [bucket] };
        new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access`,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            bucketOpts,
        );
        new aws.s3.BucketPolicy(`${name}-tls-only`, { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyPolicy(arn))) }, bucketOpts);
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, bucketOpts);
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            // The AWS-managed aws/s3 key: the role needs no kms:* grant, and the bucket key keeps KMS calls per object low.
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] },
            bucketOpts,
        );
        const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, bucketOpts);
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-dumps",
                        status: "Enabled",
                        filter: { prefix: BACKUP_PREFIX },
                        expiration: { days: args.retentionDays },
                        // With versioning on, expiry only adds a delete marker: the dump itself goes one day later.
                        noncurrentVersionExpiration: { noncurrentDays: 1 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                    // Once the dump behind it is gone the delete marker is all that is left: remove it too.
                    { id: "remove-expired-delete-markers", status: "Enabled", filter: { prefix: BACKUP_PREFIX }, expiration: { expiredObjectDeleteMarker: true } },
                ],
            },
            // S3 rejects lifecycle rules on versions before versioning is configured.
            { parent: this, dependsOn: [versioning] },
        );

        const podIdentityRole = (suffix: string, serviceAccount: string, does: string, policyName: string, policy: (bucketArn: string) => object) => {
            const role = new aws.iam.Role(
                `${name}-${suffix}`,
                {
                    description: `EKS Pod Identity role of ${args.namespace}/${serviceAccount}: ${does}`,
                    assumeRolePolicy: JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
                    }),
                },
                child,
            );
            const rolePolicy = new aws.iam.RolePolicy(`${name}-${policyName}`, { role: role.id, policy: bucket.arn.apply((arn) => JSON.stringify(policy(arn))) }, child);
            const association = new aws.eks.PodIdentityAssociation(
                `${name}-${suffix === "role" ? "pod-identity" : `${suffix}-pod-identity`}`,
                { clusterName: args.clusterName, namespace: args.namespace, serviceAccount, roleArn: role.arn },
                // Pods started before the role's policy is in place would fail their first request.
                { parent: this, dependsOn: [rolePolicy] },
            );
            return { role, association };
        };
        const writer = podIdentityRole("role", args.serviceAccount, "writes PostgreSQL dumps to S3", "put-dumps", uploadPolicy);
        const reader = podIdentityRole("reader-role", args.restoreServiceAccount, "reads PostgreSQL dumps from S3 for a restore", "read-dumps", readPolicy);

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.roleArn = writer.role.arn;
        this.readerRoleArn = reader.role.arn;
        this.associations = [writer.association, reader.association];
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, roleArn: this.roleArn, readerRoleArn: this.readerRoleArn });
    }
}

/**
 * `aws s3 cp` of a file: PutObject, or above 8 MB a multipart upload (CreateMultipartUpload, UploadPart and
 * CompleteMultipartUpload are all authorized by s3:PutObject); on failure the CLI aborts the upload.
 */
export function uploadPolicy(bucketArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `${bucketArn}/${BACKUP_PREFIX}*` }],
    };
}

/**
 * What `s3-backup.sh fetch` needs and nothing more: list the dumps (ListBucket, limited to the prefix) and get
 * them. No Put, no Delete: the restore's credentials cannot change or remove a backup.
 */
export function readPolicy(bucketArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn, Condition: { StringLike: { "s3:prefix": [`${BACKUP_PREFIX}*`] } } },
            { Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/${BACKUP_PREFIX}*` },
        ],
    };
}

/** Refuses every request to the bucket and its objects that does not come over TLS. */
export function tlsOnlyPolicy(bucketArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}
