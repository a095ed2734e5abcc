import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterAutoscalerIdentityArgs {
    clusterName: pulumi.Input<string>;
    namespace: string;
    serviceAccount: string;
}

/** Tags EKS puts on a managed node group's Auto Scaling group; the autoscaler discovers its groups by them. */
export const autoDiscoveryTags = (clusterName: string): string[] => ["k8s.io/cluster-autoscaler/enabled", `k8s.io/cluster-autoscaler/${clusterName}`];

/**
 * The autoscaler's AWS permissions, after the cluster-autoscaler AWS README's policy for auto-discovery,
 * narrowed: reads are account-wide (those APIs take no resource), but it may resize and shrink only the
 * Auto Scaling groups that carry this cluster's ownership tag, and describe only this cluster's node groups.
 */
export function clusterAutoscalerPolicy(clusterName: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Discover",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                Resource: "*",
            },
            { Sid: "DescribeOwnNodeGroups", Effect: "Allow", Action: ["eks:DescribeNodegroup"], Resource: `arn:aws:eks:*:*:nodegroup/${clusterName}/*/*` },
            {
                Sid: "ScaleOwnGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
            },
        ],
    };
}

/** The Cluster Autoscaler's IAM role, handed to its ServiceAccount through EKS Pod Identity. */
export class ClusterAutoscalerIdentity extends pulumi.ComponentResource {
    /** The association: a pod started before it exists gets no AWS credentials. */
    public readonly association: aws.eks.PodIdentityAssociation;

    constructor(name: string, args: ClusterAutoscalerIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:cluster:ClusterAutoscalerIdentity", name, {}, opts);
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: `EKS Pod Identity role of ${args.namespace}/${args.serviceAccount}: scales this cluster's node groups`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
                }),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-scale`,
            { role: role.id, policy: pulumi.output(args.clusterName).apply((cluster) => JSON.stringify(clusterAutoscalerPolicy(cluster))) },
            { parent: this },
        );
        this.association = new aws.eks.PodIdentityAssociation(
            `${name}-pod-identity`,
            { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: role.arn },
            { parent: this, dependsOn: [policy] },
        );
        this.registerOutputs({});
    }
}
