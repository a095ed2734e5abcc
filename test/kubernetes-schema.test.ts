import { strict as assert } from "assert";
import { renderToTemp } from "./support/render-helper";
import { modelClass, schemaFailures } from "./support/config-tools";
import { manifestsOf } from "./support/rendered";

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
            assert.deepEqual(await schemaFailures(manifestsOf(await renderToTemp(stack)) as never[]), []);
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
