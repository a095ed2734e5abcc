import * as net from "net";
import { DEFAULT_DOCKER_HOST, dockerEngineGet } from "../docker-engine";
import type { ConfigIssue } from "../../stacks/rules";
import type { ClusterConfig } from "../../stacks/schema";
import { k3sContainerName, registryContainerName } from "./local";

/** A laptop port the local cluster publishes on 127.0.0.1, the key that sets it, and the container that may hold it. */
export interface PublishedPort {
    key: string;
    port: number;
    /** The cluster's own container (e.g. `nsip-dev-k3s`): it holds the port on every `up` after the first. */
    owner: string;
}

/** Whether 127.0.0.1:port is free now: a listener binds it and closes at once. */
export function loopbackPortFree(port: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
        const probe = net.createServer();
        probe.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" || error.code === "EACCES" ? resolve(false) : reject(error)));
        probe.listen({ host: "127.0.0.1", port, exclusive: true }, () => probe.close(() => resolve(true)));
    });
}

/** Names of the containers publishing `port` on the engine behind DOCKER_HOST (Docker's `publish` filter). */
export async function containersPublishing(port: number, dockerHost = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST): Promise<string[]> {
    const filters = encodeURIComponent(JSON.stringify({ publish: [String(port)] }));
    const containers = JSON.parse(await dockerEngineGet(dockerHost, `/containers/json?filters=${filters}`)) as { Names?: string[] }[];
    return containers.flatMap((c) => (c.Names ?? []).map((name) => name.replace(/^\//, "")));
}

/**
 * Every published port that something other than its own container holds, as an issue naming the key to change.
 * Runs before any resource is registered, so a taken port (Docker Desktop's or Rancher Desktop's Kubernetes on
 * 6443, AirPlay on 5000, another dev server on 8080) fails the up at once instead of half-way through.
 */
export async function takenPorts(
    ports: PublishedPort[],
    isFree: (port: number) => Promise<boolean> = loopbackPortFree,
    publishers: (port: number) => Promise<string[]> = (port) => containersPublishing(port),
): Promise<ConfigIssue[]> {
    const issues: ConfigIssue[] = [];
    for (const { key, port, owner } of ports) {
        if (await isFree(port)) continue;
        const holders = await publishers(port).catch((): string[] => []);
        if (holders.includes(owner)) continue;
        const by = holders.length > 0 ? `the container ${holders.join(", ")}` : "another program";
        issues.push({ key, message: `127.0.0.1:${port} is already in use by ${by}; set ${key} to a free port (pulumi config set --path ${key.replace(/^nsip:/, "")} <port>)` });
    }
    return issues;
}

/** The three laptop ports of a local cluster stack, with the keys that set them. */
export function localClusterPorts(c: Extract<ClusterConfig, { provider: "local" }>): PublishedPort[] {
    return [
        { key: "nsip:cluster.apiPort", port: c.apiPort, owner: k3sContainerName(c.name) },
        { key: "nsip:cluster.registryPort", port: c.registryPort, owner: registryContainerName(c.name) },
        { key: "nsip:cluster.edgePort", port: c.edgePort, owner: k3sContainerName(c.name) },
    ];
}

/** Whether the engine publishes on this machine's loopback (a socket, or TCP to localhost); else a bind test here says nothing. */
export function engineOnThisMachine(dockerHost = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST): boolean {
    if (/^(unix|npipe):/.test(dockerHost)) return true;
    try {
        return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(dockerHost).hostname);
    } catch {
        return false;
    }
}
