import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Hardening } from "../../stacks/schema";
import { batchPodSpec, PodInput } from "./pod";

export interface JobTemplateArgs {
    metadata: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
    /** The ops command that instantiates it, for whoever finds the suspended CronJob (`npm run ops -- restore`). */
    instantiatedBy: string;
    pod: PodInput;
    hardening: Hardening;
    serviceAccountName: pulumi.Input<string>;
    backoffLimit: number;
    activeDeadlineSeconds: number;
    /** Finished Jobs the CronJob controller keeps (for their logs), per outcome. */
    historyLimit: number;
}

/**
 * A Job template as a suspended CronJob: its pod is built by the same pod builder as every workload, and an `ops`
 * command instantiates it as Jobs (as `kubectl create job --from=cronjob/...` does). It never runs on a schedule.
 */
export function suspendedJobTemplate(resourceName: string, args: JobTemplateArgs, opts: pulumi.CustomResourceOptions): k8s.batch.v1.CronJob {
    const { labels } = args.metadata;
    return new k8s.batch.v1.CronJob(
        resourceName,
        {
            metadata: { ...args.metadata, annotations: { "nsip.dev/template": `instantiated by \`${args.instantiatedBy}\`; never scheduled` } },
            spec: {
                // Never runs by itself: the schedule is required by the API, `suspend` keeps it from firing.
                schedule: "0 0 1 1 *",
                timeZone: "Etc/UTC",
                suspend: true,
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
