import { strict as assert } from "assert";
import { renderToTemp } from "./support/render-helper";
import { manifestsOf } from "./support/rendered";

type Model = new (data: unknown) => { validate(): void };

/** The kubernetes-models class for a manifest's apiVersion and kind (an ES module, hence the dynamic import). */
async function modelClass(apiVersion: string, kind: string): Promise<Model> {
    const specifier = `kubernetes-models/${apiVersion}/${kind}`;
    const mod = (await import(specifier)) as Record<string, Model>;
    const cls = mod[kind];
    if (!cls) throw new Error(`${specifier} exports no ${kind}`);
    return cls;
}

for (const stack of ["dev", "prod"]) {
    describe(`${stack}: every Kubernetes object is valid against the Kubernetes OpenAPI schema`, function () {
        this.timeout(120_000);

        it("renders at least one object of each expected kind", async () => {
            const kinds = new Set(manifestsOf(await renderToTemp(stack)).map((m) => m.kind));
            for (const kind of ["Namespace", "Secret", "ConfigMap", "ServiceAccount", "Deployment", "StatefulSet", "Service", "NetworkPolicy", "Job", "Role", "RoleBinding", "PersistentVolumeClaim"]) {
                assert.ok(kinds.has(kind), `no ${kind} rendered`);
            }
        });

        it("validates each manifest with kubernetes-models", async () => {
            const failures: string[] = [];
            for (const m of manifestsOf(await renderToTemp(stack))) {
                try {
                    new (await modelClass(m.apiVersion, m.kind))(m).validate();
                } catch (error) {
                    failures.push(`${m.kind}/${m.metadata?.name}: ${(error as Error).message.slice(0, 400)}`);
                }
            }
            assert.deepEqual(failures, []);
        });
    });
}

describe("the schema check can fail", () => {
    it("rejects a Deployment without a selector and with a string replica count", async () => {
        const Deployment = await modelClass("apps/v1", "Deployment");
        const bad = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: "two", template: {} } };
        assert.throws(() => new Deployment(bad).validate());
    });
});
