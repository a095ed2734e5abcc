import type * as pulumi from "@pulumi/pulumi";
import type { EdgeExposure } from "../cluster/types";
import type { AppName } from "../images";
import type { WorkloadSpec } from "../workload";
import type { NsipConfig } from "../../stacks/schema";

/** What every service definition may read: the validated config and what earlier stages produced. */
export interface ServiceContext {
    config: NsipConfig;
    namespace: string;
    /** Image references by digest. */
    images: Record<AppName, pulumi.Input<string>>;
    /** For every PVC: the configured class, else the cluster's (gp3-encrypted on EKS), else the cluster default. */
    storageClassName: pulumi.Input<string> | undefined;
    edge: EdgeExposure;
    /** Where people reach the edge, e.g. https://nsip.example.com or http://127.0.0.1:8080. */
    publicUrl: string;
}

/**
 * A service is data: its workload spec for the shared builder, plus the config files it reads
 * (rendered by pure functions, mounted from one ConfigMap named `<service>-config`).
 */
export interface ServiceDefinition {
    spec: WorkloadSpec;
    configFiles?: Record<string, string>;
    /** Non-secret environment of the first container, from a ConfigMap named `<service>-env`. */
    envConfig?: Record<string, string>;
}

/** In-cluster DNS name of a Service. */
export const serviceHost = (service: string, namespace: string): string => `${service}.${namespace}.svc.cluster.local`;

export const CONFIG_VOLUME = "config";
