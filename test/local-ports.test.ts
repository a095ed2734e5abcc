import * as assert from "assert";
import * as net from "net";
import { containersPublishing, engineOnThisMachine, localClusterPorts, loopbackPortFree, takenPorts } from "../components/cluster/local-ports";
import { parseStackConfig } from "../stacks/load";
import { fakeDockerEngine } from "./support/fake-docker-engine";

/** Holds a free 127.0.0.1 port chosen at runtime until released. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    return { port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("cluster: local ports checked before anything is created", () => {
    it("defaults off the ports other local Kubernetes, registries and dev servers take", () => {
        const config = parseStackConfig({ "nsip:environment": "dev", "nsip:cluster": JSON.stringify({ provider: "local" }) }, { stack: "dev" });
        assert.strictEqual(config.cluster.provider, "local");
        const ports = localClusterPorts(config.cluster as Extract<typeof config.cluster, { provider: "local" }>);
        for (const { port } of ports) {
            assert.ok(![6443, 6444, 5000, 5001, 8080].includes(port), `${port} is a commonly taken default`);
            assert.ok(port < 32768, `${port} stays below the Linux ephemeral range`);
        }
        assert.deepStrictEqual(
            ports.map((p) => [p.key, p.owner]),
            [
                ["nsip:cluster.apiPort", "nsip-dev-k3s"],
                ["nsip:cluster.registryPort", "nsip-dev-registry"],
                ["nsip:cluster.edgePort", "nsip-dev-k3s"],
            ],
        );
    });

    it("tells a held loopback port from a free one by binding it", async () => {
        const held = await holdPort();
        try {
            assert.strictEqual(await loopbackPortFree(held.port), false);
        } finally {
            await held.release();
        }
        assert.strictEqual(await loopbackPortFree(held.port), true);
    });

    it("names the key to change and who holds the port; the cluster's own container may hold it", async () => {
        const [api, registry, edge] = await Promise.all([holdPort(), holdPort(), holdPort()]);
        const publishers = async (port: number) => (port === api.port ? ["rancher-desktop-k3s"] : port === edge.port ? ["nsip-dev-k3s"] : []);
        try {
            const issues = await takenPorts(
                [
                    { key: "nsip:cluster.apiPort", port: api.port, owner: "nsip-dev-k3s" },
                    { key: "nsip:cluster.registryPort", port: registry.port, owner: "nsip-dev-registry" },
                    { key: "nsip:cluster.edgePort", port: edge.port, owner: "nsip-dev-k3s" },
                ],
                loopbackPortFree,
                publishers,
            );
            assert.deepStrictEqual(issues, [
                { key: "nsip:cluster.apiPort", message: `127.0.0.1:${api.port} is already in use by the container rancher-desktop-k3s; set nsip:cluster.apiPort to a free port (pulumi config set --path cluster.apiPort <port>)` },
                { key: "nsip:cluster.registryPort", message: `127.0.0.1:${registry.port} is already in use by another program; set nsip:cluster.registryPort to a free port (pulumi config set --path cluster.registryPort <port>)` },
            ]);
        } finally {
            await Promise.all([api, registry, edge].map((h) => h.release()));
        }
    });

    it("asks the engine which containers publish a port with Docker's publish filter", async () => {
        const engine = await fakeDockerEngine((url) =>
            url.pathname === "/containers/json" && JSON.parse(url.searchParams.get("filters") ?? "{}").publish?.[0] === "26443" ? [{ Names: ["/nsip-dev-k3s"] }] : undefined,
        );
        try {
            assert.deepStrictEqual(await containersPublishing(26443, engine.dockerHost), ["nsip-dev-k3s"]);
        } finally {
            await engine.close();
        }
    });

    it("checks only when the engine publishes on this machine's loopback", () => {
        assert.ok(engineOnThisMachine("unix:///var/run/docker.sock"));
        assert.ok(engineOnThisMachine("npipe:////./pipe/docker_engine"));
        assert.ok(engineOnThisMachine("tcp://127.0.0.1:2375"));
        assert.ok(!engineOnThisMachine("ssh://me@build-box"));
        assert.ok(!engineOnThisMachine("tcp://10.0.0.5:2376"));
    });
});
