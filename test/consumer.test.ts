import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { createMocks } from "../tools/render/mocks";
import { Recorder, OutputRecord } from "../tools/render/recorder";
import { REPO_ROOT } from "../tools/render/render";
import { renderToTemp } from "./support/render-helper";
import { stopMocks } from "./support/pulumi-mocks";

/**
 * examples/consumer (another team's program) under mocks, its StackReference answered with the outputs our
 * offline render of dev and prod really produces (secret ones stay "[secret]" and are marked secret, as
 * the engine marks them). What it builds from them is recorded like a render.
 */

const CONSUMER_DIR = path.join(REPO_ROOT, "examples", "consumer");
const NSIP_STACK = "acme/nsip/prod";

interface ConsumerRun {
    resources: ReturnType<Recorder["resources"]>;
    outputs: Record<string, OutputRecord>;
    /** The kubeconfig the consumer's provider got, as the wire carries it (secret-marked or not). */
    providerKubeconfigSecret: boolean;
    stackReferenceName: unknown;
}

async function runConsumer(nsipOutputs: Record<string, OutputRecord>): Promise<ConsumerRun> {
    const mocks = createMocks({ projectDir: CONSUMER_DIR });
    let stackReferenceName: unknown;
    await pulumi.runtime.setMocks(
        {
            ...mocks,
            newResource: async (args) => {
                if (args.type !== "pulumi:pulumi:StackReference") return mocks.newResource(args);
                stackReferenceName = args.inputs["name"];
                const outputs = Object.fromEntries(Object.entries(nsipOutputs).map(([name, record]) => [name, record.value]));
                const secretOutputNames = Object.entries(nsipOutputs).filter(([, record]) => record.secret).map(([name]) => name);
                return { id: String(args.inputs["name"]), state: { name: args.inputs["name"], outputs, secretOutputNames } };
            },
        },
        "nsip-consumer",
        "prod",
        false,
        "acme",
    );
    pulumi.runtime.setAllConfig({ "nsip-consumer:nsipStack": NSIP_STACK }, []);
    const recorder = Recorder.attach({ projectDir: CONSUMER_DIR });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(path.join(CONSUMER_DIR, "index.ts")) as () => Promise<Record<string, unknown>>;
    try {
        await pulumi.runtime.runInPulumiStack(program);
    } finally {
        await pulumi.runtime.disconnect();
    }
    const resources = recorder.resources();
    const provider = resources.find((resource) => resource.type === "pulumi:providers:kubernetes");
    assert.ok(provider, "the consumer builds a Kubernetes provider");
    const wire = recorder.wire(provider.urn)!;
    return { resources, outputs: recorder.outputs(), providerKubeconfigSecret: pulumi.runtime.isRpcSecret(wire.inputs["kubeconfig"]), stackReferenceName };
}

describe("examples/consumer: another team's program reads our outputs through a StackReference", function () {
    this.timeout(180_000);

    after(stopMocks);

    for (const stack of ["dev", "prod"] as const) {
        describe(`against the outputs of ${stack}`, () => {
            let run: ConsumerRun;
            let nsip: Record<string, OutputRecord>;

            before(async () => {
                nsip = (await renderToTemp(stack)).outputs;
                run = await runConsumer(nsip);
            });

            it("references the configured nsip stack", () => {
                assert.equal(run.stackReferenceName, NSIP_STACK);
            });

            it("points its workloads at our public URL, Grafana and api image", () => {
                const configMap = run.resources.find((resource) => resource.type === "kubernetes:core/v1:ConfigMap");
                assert.ok(configMap);
                assert.deepEqual(configMap.inputs["data"], {
                    NSIP_API_URL: `${String(nsip.publicUrl.value)}/api`,
                    NSIP_GRAFANA_URL: nsip.grafanaUrl.value,
                    NSIP_API_IMAGE: (nsip.imageDigests.value as Record<string, string>)["api"],
                });
                assert.equal((configMap.inputs["metadata"] as Record<string, unknown>)["namespace"], "reporting");
            });

            it("hands our kubeconfig to its provider as a secret, never in clear text", () => {
                assert.ok(nsip.kubeconfig.secret);
                assert.equal(run.providerKubeconfigSecret, true);
            });

            it(`exports the cluster name${stack === "prod" ? " and the EKS VPC" : ", and no VPC off EKS"}`, () => {
                assert.deepEqual(run.outputs.nsipCluster, { value: nsip.clusterName.value, secret: false });
                if (stack === "prod") assert.deepEqual(run.outputs.nsipVpcId, { value: nsip.vpcId.value, secret: false });
                else assert.equal(run.outputs.nsipVpcId?.value ?? null, null);
            });
        });
    }
});
