import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Hardening } from "../../stacks/schema";
import { batchPodSpec, PodInput } from "./pod";

/** What every CronJob of the program states: its Jobs' pod (built by the pod builder), limits and history. */
export interface CronJobArgs {
    metadata: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
    pod: PodInput;
    hardening: Hardening;
    serviceAccountName: pulumi.Input<string>;
    backoffLimit: number;
    activeDeadlineSeconds: number;
    /** Finished Jobs the CronJob controller keeps (for their logs), per outcome. */
    historyLimit: number;
}

/** When its Jobs run: on a schedule (cron, in UTC), or only when an `ops` command instantiates the template. */
export type JobTiming =
    | { schedule: string; startingDeadlineSeconds: number }
    /** The ops command that instantiates it, for whoever finds the suspended CronJob (`npm run ops -- restore`). */
    | { instantiatedBy: string };

/**
 * A CronJob whose pod is built by the same pod builder as every workload, never two at once. A template is suspended:
 * an `ops` command instantiates it as Jobs (as `kubectl create job --from=cronjob/...` does), it never runs by itself.
 */
export function cronJob(resourceName: string, args: CronJobArgs & { timing: JobTiming }, opts: pulumi.CustomResourceOptions): k8s.batch.v1.CronJob {
    const { labels } = args.metadata;
    const { timing } = args;
    const when =
        "schedule" in timing
            ? { metadata: args.metadata, spec: { schedule: timing.schedule, startingDeadlineSeconds: timing.startingDeadlineSeconds } }
            : {
                  metadata: { ...args.metadata, annotations: { "nsip.dev/template": `instantiated by \`${timing.instantiatedBy}\`; never scheduled` } },
                  // The schedule is required by the API; `suspend` keeps it from firing.
                  spec: { schedule: "0 0 1 1 *", suspend: true },
              };
    return new k8s.batch.v1.CronJob(
        resourceName,
        {
            metadata: when.metadata,
            spec: {
                ...when.spec,
                timeZone: "Etc/UTC",
                concurrencyPolicy: "Forbid",
                successfulJobsHistoryLimit: args.historyLimit,
                failedJobsHistoryLimit: args.historyLimit,
                jobTemplate: {
                    metadata: { labels },
                    spec: {
                        backoffLimit: args.backoffLimit,
                        activeDeadlineSeconds: args.activeDeadlineSeconds,
                        template: { metadata: { labels }, spec: batchPodSpec(args.pod, args.hardening, args.serviceAccountName) },
                    },
                },
            },
        },
        opts,
    );
}
