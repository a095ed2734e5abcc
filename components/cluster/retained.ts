import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * Prod keeps its data on destroy (`retainOnDelete`): the control-plane log group and the ECR repositories
 * outlive the stack. Their names are fixed (EKS writes to `/aws/eks/<cluster>/cluster`; images are pushed to
 * `<prefix>/<image>`), so a later `up` would fail with "already exists". What this finds is adopted instead,
 * through the `import` resource option: imported when the stack does not hold it yet, an ordinary resource
 * when it does (the engine compares the id).
 */
export interface RetainedData {
    /** The control-plane log group exists already. */
    controlPlaneLogGroup: boolean;
    /** Container Insights log group names that exist already. */
    containerInsightsLogGroups: string[];
    /** Repository names (`<prefix>/<image>`) that exist already. */
    repositories: string[];
}

export function controlPlaneLogGroupName(clusterName: string): string {
    return `/aws/eks/${clusterName}/cluster`;
}

/** The log groups the CloudWatch observability add-on writes to, under `/aws/containerinsights/<cluster>/`. */
export const CONTAINER_INSIGHTS_LOG_GROUPS = ["application", "dataplane", "host", "performance"] as const;

export function containerInsightsLogGroupName(clusterName: string, group: (typeof CONTAINER_INSIGHTS_LOG_GROUPS)[number]): string {
    return `/aws/containerinsights/${clusterName}/${group}`;
}

/** Looks the retained data of an EKS stack up through `provider` (the stack's explicit AWS provider). */
export async function findRetainedData(
    args: { clusterName: string; repositoryNames: string[] },
    provider: pulumi.ProviderResource | undefined,
): Promise<RetainedData> {
    const logGroupName = controlPlaneLogGroupName(args.clusterName);
    const insightsNames = CONTAINER_INSIGHTS_LOG_GROUPS.map((group) => containerInsightsLogGroupName(args.clusterName, group));
    const [logGroups, insightsGroups, repositories] = await Promise.all([
        aws.cloudwatch.getLogGroups({ logGroupNamePrefix: logGroupName }, { provider }),
        aws.cloudwatch.getLogGroups({ logGroupNamePrefix: `/aws/containerinsights/${args.clusterName}/` }, { provider }),
        aws.ecr.getRepositories({}, { provider }),
    ]);
    const existing = new Set(repositories.names ?? []);
    const existingInsights = new Set(insightsGroups.logGroupNames ?? []);
    return {
        controlPlaneLogGroup: (logGroups.logGroupNames ?? []).includes(logGroupName),
        containerInsightsLogGroups: insightsNames.filter((name) => existingInsights.has(name)),
        repositories: args.repositoryNames.filter((name) => existing.has(name)),
    };
}
