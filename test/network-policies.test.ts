import { strict as assert } from "assert";
import { renderToTemp } from "./support/render-helper";
import { Manifest, manifestsOf, podTemplates } from "./support/rendered";

/**
 * The traffic table of DESIGN.md, written out here independently of components/services/traffic.ts:
 * the allowed edges computed from the rendered NetworkPolicies must equal it exactly.
 */
const designTable = [
    "outside -> nginx:8080",
    "outside -> nginx:8090",
    "prometheus -> nginx:9113",
    "nginx -> frontend:8080",
    "nginx -> api:3000",
    "prometheus -> api:9100",
    "api -> analyzer:5000",
    "prometheus -> analyzer:9100",
    "api -> postgres:5432",
    "migrations -> postgres:5432",
    "prometheus -> postgres:9187",
    "api -> redis:6379",
    "prometheus -> redis:9121",
    "grafana -> prometheus:9090",
    "nginx -> grafana:3000",
    // Backups in every environment (a PVC in dev, S3 in prod) and kube-state-metrics for their freshness.
    "backup -> postgres:5432",
    // The restore Jobs `ops restore` creates from their template: postgres, and the backups' store (S3 in prod).
    "restore -> postgres:5432",
    "prometheus -> kube-state-metrics:8080",
    // `ops health`'s probe Jobs: each HTTP service's readiness port, nothing else.
    "health-probe -> api:3000",
    "health-probe -> analyzer:5000",
    "health-probe -> frontend:8080",
    "health-probe -> grafana:3000",
    "health-probe -> prometheus:9090",
    "health-probe -> nginx:8080",
];
/** Prod on EKS also runs the Cluster Autoscaler. */
const designTables: Record<string, string[]> = { dev: designTable, prod: [...designTable, "prometheus -> cluster-autoscaler:8085"] };

interface Pod {
    name: string;
    labels: Record<string, string>;
    ports: number[];
}

const matches = (selector: Manifest | undefined, labels: Record<string, string>) =>
    Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) && (selector?.matchExpressions ?? []).length === 0;

const portAllowed = (rulePorts: Manifest[] | undefined, port: number) =>
    rulePorts === undefined || rulePorts.length === 0 || rulePorts.some((p) => (p.protocol ?? "TCP") === "TCP" && p.port === port);

/** Does a peer list admit this in-namespace pod? ipBlocks admit every pod IP too (pods live inside 0.0.0.0/0). */
function peerAdmits(peers: Manifest[] | undefined, pod: Pod | "outside"): boolean {
    if (peers === undefined || peers.length === 0) return true;
    return peers.some((peer) => {
        if (peer.ipBlock) return peer.ipBlock.cidr === "0.0.0.0/0" || pod !== "outside";
        if (pod === "outside") return false;
        if (peer.namespaceSelector) return false; // other namespaces (kube-dns) are not our pods
        return matches(peer.podSelector, pod.labels);
    });
}

/** Kubernetes semantics: a pod selected by no policy of a direction is open in that direction; otherwise the union of the rules. */
function allowed(policies: Manifest[], from: Pod | "outside", to: Pod, port: number): boolean {
    const egress = from === "outside" ? [] : policies.filter((p) => matches(p.spec.podSelector, from.labels) && p.spec.policyTypes.includes("Egress"));
    const egressOk = from === "outside" || egress.length === 0 || egress.some((p) => (p.spec.egress ?? []).some((r: Manifest) => peerAdmits(r.to, to) && portAllowed(r.ports, port)));
    const ingress = policies.filter((p) => matches(p.spec.podSelector, to.labels) && p.spec.policyTypes.includes("Ingress"));
    const ingressOk = ingress.length === 0 || ingress.some((p) => (p.spec.ingress ?? []).some((r: Manifest) => peerAdmits(r.from, from) && portAllowed(r.ports, port)));
    return egressOk && ingressOk;
}

function computedEdges(policies: Manifest[], pods: Pod[]): string[] {
    const edges: string[] = [];
    for (const to of pods) {
        for (const port of to.ports) {
            if (allowed(policies, "outside", to, port)) edges.push(`outside -> ${to.name}:${port}`);
            for (const from of pods) {
                if (from !== to && allowed(policies, from, to, port)) edges.push(`${from.name} -> ${to.name}:${port}`);
            }
        }
    }
    return [...new Set(edges)].sort();
}

function podsOf(rendered: Awaited<ReturnType<typeof renderToTemp>>): Pod[] {
    return podTemplates(rendered).map((t) => ({
        name: t.labels["app.kubernetes.io/name"],
        labels: t.labels,
        ports: t.spec.containers.flatMap((c: Manifest) => (c.ports ?? []).map((p: Manifest) => p.containerPort as number)),
    }));
}

for (const stack of ["dev", "prod"]) {
    describe(`${stack}: NetworkPolicies allow exactly the traffic table`, function () {
        this.timeout(120_000);

        it("pod-to-pod and outside-to-pod edges computed from the rendered policies equal DESIGN.md's table", async () => {
            const rendered = await renderToTemp(stack);
            const edges = computedEdges(manifestsOf(rendered, "NetworkPolicy"), podsOf(rendered));
            assert.deepEqual(edges, [...designTables[stack]].sort());
        });

        it("never sends an empty rule list, which the API server drops (a diff on every apply)", async () => {
            const policies = manifestsOf(await renderToTemp(stack), "NetworkPolicy");
            const empty = policies.flatMap((p) => (["ingress", "egress"] as const).filter((field) => Array.isArray(p.spec[field]) && p.spec[field].length === 0).map((field) => `${p.metadata.name}.${field}`));
            assert.deepEqual(empty, []);
            // A direction without rules still denies: its policy type stays listed.
            const closed = policies.filter((p) => Object.keys(p.spec.podSelector ?? {}).length > 0 && p.spec.policyTypes.includes("Egress") && p.spec.egress === undefined);
            assert.ok(closed.length > 0, "some workload has no egress rule and relies on the listed Egress type");
        });

        it("a namespace-wide default deny covers Ingress and Egress", async () => {
            const deny = manifestsOf(await renderToTemp(stack), "NetworkPolicy").filter(
                (p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && !p.spec.ingress && !p.spec.egress,
            );
            assert.equal(deny.length, 1);
            assert.deepEqual([...deny[0].spec.policyTypes].sort(), ["Egress", "Ingress"]);
        });

        it("every pod may reach kube-dns on 53 UDP and TCP, and nothing else outside the namespace but the API for prometheus", async () => {
            const policies = manifestsOf(await renderToTemp(stack), "NetworkPolicy");
            const dns = policies.filter((p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && p.spec.egress);
            assert.equal(dns.length, 1);
            const rule = dns[0].spec.egress[0];
            assert.deepEqual(rule.to[0].podSelector.matchLabels, { "k8s-app": "kube-dns" });
            assert.deepEqual(rule.to[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "kube-system" });
            assert.deepEqual(rule.ports.map((p: Manifest) => `${p.protocol}/${p.port}`).sort(), ["TCP/53", "UDP/53"]);

            const ipEgress = policies.flatMap((p) =>
                (p.spec.egress ?? [])
                    .filter((r: Manifest) => (r.to ?? []).some((peer: Manifest) => peer.ipBlock))
                    .map((r: Manifest) => `${p.metadata.name} -> ${r.to.map((peer: Manifest) => peer.ipBlock.cidr).join(",")}:${r.ports.map((x: Manifest) => `${x.protocol}/${x.port}`).join(",")}`),
            );
            // The Kubernetes API: on EKS the `kubernetes` Service's ClusterIP (first address of the Service CIDR 172.20.0.0/16),
            // which is what the VPC CNI sees before translation; anywhere on the local cluster.
            const kubeApi = `${stack === "prod" ? "172.20.0.1/32" : "0.0.0.0/0"}:TCP/443,TCP/6443`;
            const expected = [`prometheus -> ${kubeApi}`, `kube-state-metrics -> ${kubeApi}`];
            // The backup in prod: S3 (no stable CIDRs) on 443 and the node's Pod Identity agent on 80; dev's goes to a PVC.
            if (stack === "prod") expected.push("postgres-backup -> 0.0.0.0/0:TCP/443", "postgres-backup -> 169.254.170.23/32:TCP/80");
            // The restore reads the same bucket with its own reader role.
            if (stack === "prod") expected.push("postgres-restore -> 0.0.0.0/0:TCP/443", "postgres-restore -> 169.254.170.23/32:TCP/80");
            // The Cluster Autoscaler in prod: the API, the AWS APIs (Auto Scaling, EC2, EKS) on 443, its Pod Identity credentials.
            if (stack === "prod") expected.push("cluster-autoscaler -> 172.20.0.1/32:TCP/443,TCP/6443", "cluster-autoscaler -> 0.0.0.0/0:TCP/443", "cluster-autoscaler -> 169.254.170.23/32:TCP/80");
            assert.deepEqual([...ipEgress].sort(), expected.sort());
        });

        it("one policy per workload, each selecting its own pods", async () => {
            const rendered = await renderToTemp(stack);
            const named = manifestsOf(rendered, "NetworkPolicy").filter((p) => p.spec.podSelector?.matchLabels);
            const names = named.map((p) => p.spec.podSelector.matchLabels["app.kubernetes.io/name"]).sort();
            const workloads = ["analyzer", "api", "backup", "frontend", "grafana", "health-probe", "kube-state-metrics", "migrations", "nginx", "postgres", "prometheus", "redis", "restore"];
            assert.deepEqual(names, (stack === "prod" ? [...workloads, "cluster-autoscaler"] : workloads).sort());
        });
    });
}

describe("the edge computation can tell a wrong policy set", () => {
    it("finds the extra edge an over-broad policy opens and the one a missing rule closes", () => {
        const pod = (name: string, ports: number[]): Pod => ({ name, labels: { "app.kubernetes.io/name": name }, ports });
        const pods = [pod("a", [80]), pod("b", [90])];
        const sel = (name: string) => ({ matchLabels: { "app.kubernetes.io/name": name } });
        const deny = { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } };
        const aOut = { spec: { podSelector: sel("a"), policyTypes: ["Ingress", "Egress"], egress: [{ to: [{ podSelector: sel("b") }], ports: [{ port: 90 }] }] } };
        const bIn = { spec: { podSelector: sel("b"), policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }] } };
        assert.deepEqual(computedEdges([deny, aOut, bIn], pods), ["a -> b:90"]);
        assert.deepEqual(computedEdges([deny, aOut], pods), []);
        assert.deepEqual(computedEdges([], pods), ["a -> b:90", "b -> a:80", "outside -> a:80", "outside -> b:90"]);
    });
});
