import { strict as assert } from "assert";
import { KubeApiError, KubeObject } from "../../tools/k8s/client";
import { WorkloadStatus } from "../../tools/k8s/apply";
import {
    deployRender,
    objectsChangedBySecondApply,
    podsOf,
    READY_TIMEOUT_MS,
    servicesWithoutReadyEndpoints,
    StackOnControlPlane,
    waitForJob,
    waitForWorkloads,
} from "./support";
import { describeOps } from "./ops-suite";
import { describeRestore } from "./restore-suite";

/**
 * Both offline renders applied to a real control plane (etcd, kube-apiserver with EKS's admission
 * plugins, kube-controller-manager, kube-scheduler, kwok nodes in three zones): real validation,
 * defaulting, Pod Security admission, controllers and scheduling decide whether the stacks roll out.
 */


for (const stack of ["dev", "prod"] as const) {
    describe(`${stack} render on a real control plane`, function () {
        this.timeout(READY_TIMEOUT_MS * 2);
        let deployed: StackOnControlPlane;

        before(async function () {
            deployed = await deployRender(stack);
        });

        after(async function () {
            await deployed?.plane.stop();
        });

        it("has every object accepted by the API server", function () {
            const rejected = deployed.applied.filter((object) => object.error !== undefined).map((object) => `${object.kind}/${object.name}: ${object.error}`);
            assert.deepEqual(rejected, []);
            assert.equal(deployed.applied.length, Object.keys(deployed.rendered.manifests).length, "one apply per rendered manifest");
        });

        it("draws no admission or validation warning", function () {
            const warned = deployed.applied.flatMap((object) => object.warnings.map((warning) => `${object.kind}/${object.name}: ${warning}`));
            assert.deepEqual(warned, []);
        });

        it("labels the namespace with its Pod Security level", async function () {
            const namespace = await deployed.plane.client.get<KubeObject & { metadata: { labels?: Record<string, string> } }>("v1", "Namespace", undefined, deployed.namespace);
            assert.equal(namespace?.metadata.labels?.["pod-security.kubernetes.io/enforce"], stack === "prod" ? "restricted" : "baseline");
        });

        it("rolls out every Deployment and StatefulSet to its replicas (an HPA's minimum where one owns the count)", async function () {
            const expected = await waitForWorkloads(deployed.plane.client, deployed.namespace);
            assert.ok(expected.size >= 8, `at least the eight services' workloads, found ${[...expected.keys()].join(", ")}`);
            if (stack === "prod") {
                assert.equal(expected.get("Deployment/api"), 3, "the api HPA's minimum");
            }
        });

        it("completes the migration Job", async function () {
            const job = deployed.applied.find((object) => object.kind === "Job");
            assert.ok(job, "the render has a migration Job");
            await waitForJob(deployed.plane.client, deployed.namespace, job.name);
        });

        // Before the claims are checked: the backup's claim (dev) and the restore's safety claim bind once a first pod uses them.
        it("completes a Job created from each CronJob: the backup, the restore and the health-probe templates", async function () {
            interface CronJob extends KubeObject {
                metadata: KubeObject["metadata"] & { uid: string };
                spec: { jobTemplate: { metadata?: Record<string, unknown>; spec: Record<string, unknown> } };
            }
            const client = deployed.plane.client;
            const cronJobs = await client.list<CronJob>("batch/v1", "CronJob", deployed.namespace);
            assert.deepEqual(cronJobs.map((c) => c.metadata.name).sort(), ["health-probe", "postgres-backup", "postgres-restore"], "every stack renders the backup CronJob and the restore and health-probe templates");
            for (const cronJob of cronJobs) {
                // What `kubectl create job --from=cronjob/...` sends (and `ops restore` for the template).
                const name = `${cronJob.metadata.name}-manual`;
                await client.call("POST", `/apis/batch/v1/namespaces/${deployed.namespace}/jobs`, {
                    apiVersion: "batch/v1",
                    kind: "Job",
                    metadata: {
                        name,
                        annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
                        ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: cronJob.metadata.name, uid: cronJob.metadata.uid, controller: true }],
                    },
                    spec: cronJob.spec.jobTemplate.spec,
                });
                await waitForJob(client, deployed.namespace, name);
            }
        });

        it("binds every PersistentVolumeClaim through its StorageClass", async function () {
            interface Claim extends KubeObject {
                status?: { phase?: string };
            }
            const claims = await deployed.plane.client.list<Claim>("v1", "PersistentVolumeClaim", deployed.namespace);
            // Dev backs up to a claim of its own, prod to S3; both keep the restore's safety dumps on a claim.
            assert.equal(claims.length, stack === "prod" ? 4 : 5, "postgres, redis and prometheus data, the safety dumps (and dev's backups)");
            assert.deepEqual(claims.filter((claim) => claim.status?.phase !== "Bound").map((claim) => claim.metadata.name), []);
            assert.deepEqual(deployed.plane.addOnErrors, []);
        });

        it("gives every Service ready endpoints on each of its ports", async function () {
            assert.deepEqual(await servicesWithoutReadyEndpoints(deployed.plane.client, deployed.namespace), []);
        });

        it("is left unchanged by a second apply of the same render", async function () {
            assert.deepEqual(await objectsChangedBySecondApply(deployed.plane.client, deployed.rendered), []);
        });

        if (stack === "dev") {
            // The operator's command on this same deployment (mocha runs it after this suite's own tests).
            describeOps(() => deployed);
            // Then `ops restore`, which scales the api and adds an HPA: last, on the same deployment.
            describeRestore(() => deployed);
        }

        if (stack !== "prod") {
            return;
        }

        it("spreads the pods of each spread workload over distinct zones", async function () {
            const client = deployed.plane.client;
            const zoneOfNode = new Map(deployed.plane.nodes.map((node) => [node.name, node.zone]));
            interface Spread {
                topologyKey: string;
            }
            type Spreadable = WorkloadStatus & { spec: { selector?: { matchLabels?: Record<string, string> }; template: { spec: { topologySpreadConstraints?: Spread[] } } } };
            const deployments = await client.list<Spreadable>("apps/v1", "Deployment", deployed.namespace);
            const spread = deployments.filter((deployment) =>
                (deployment.spec.template.spec.topologySpreadConstraints ?? []).some((constraint) => constraint.topologyKey === "topology.kubernetes.io/zone"),
            );
            assert.ok(spread.length >= 4, `the stateless workloads spread by zone, found ${spread.map((d) => d.metadata.name).join(", ")}`);
            for (const deployment of spread) {
                const pods = await podsOf(client, deployed.namespace, deployment);
                const zones = pods.map((pod) => zoneOfNode.get(pod.spec.nodeName ?? "") ?? "unscheduled");
                const distinct = new Set(zones);
                assert.equal(distinct.size, Math.min(pods.length, zoneOfNode.size), `${deployment.metadata.name} pods in zones ${zones.join(", ")}`);
            }
        });

        it("reports the expected healthy counts on every PodDisruptionBudget", async function () {
            interface Budget extends KubeObject {
                spec: { maxUnavailable?: number | string; selector?: { matchLabels?: Record<string, string> } };
                status?: { currentHealthy?: number; desiredHealthy?: number; expectedPods?: number; disruptionsAllowed?: number };
            }
            const client = deployed.plane.client;
            const expected = await waitForWorkloads(client, deployed.namespace);
            const budgets = await client.list<Budget>("policy/v1", "PodDisruptionBudget", deployed.namespace);
            assert.equal(budgets.length, 10, "one per service, kube-state-metrics' and the Cluster Autoscaler's");
            for (const budget of budgets) {
                const workload = [...expected.keys()].find((key) => key.endsWith(`/${budget.metadata.name}`));
                assert.ok(workload, `${budget.metadata.name} guards a workload`);
                const replicas = expected.get(workload) ?? 0;
                const status = budget.status ?? {};
                assert.deepEqual(
                    { expectedPods: status.expectedPods, currentHealthy: status.currentHealthy, desiredHealthy: status.desiredHealthy, disruptionsAllowed: status.disruptionsAllowed },
                    { expectedPods: replicas, currentHealthy: replicas, desiredHealthy: replicas - 1, disruptionsAllowed: 1 },
                    `PodDisruptionBudget ${budget.metadata.name}`,
                );
            }
        });

        it("rejects a privileged pod in the namespace (Pod Security admission, restricted)", async function () {
            const response = await deployed.plane.client.request("POST", `/api/v1/namespaces/${deployed.namespace}/pods`, {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "privileged-probe" },
                spec: { containers: [{ name: "shell", image: "busybox:1.37", securityContext: { privileged: true } }] },
            });
            assert.equal(response.status, 403);
            assert.match((response.body as { message: string }).message, /violates PodSecurity "restricted:latest": privileged/);
        });

        it("warns about a privileged pod template, which the zero-warnings check would catch", async function () {
            const deployment = (await deployed.plane.client.get<KubeObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }>(
                "apps/v1", "Deployment", deployed.namespace, "api",
            )) as KubeObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
            const { resourceVersion: _rv, managedFields: _mf, uid: _uid, ...metadata } = deployment.metadata;
            const privileged = {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: metadata.name, namespace: metadata.namespace },
                spec: {
                    ...deployment.spec,
                    template: {
                        ...deployment.spec.template,
                        spec: {
                            ...deployment.spec.template.spec,
                            containers: deployment.spec.template.spec.containers.map((container) => ({ ...container, securityContext: { privileged: true } })),
                        },
                    },
                },
            };
            const response = await deployed.plane.client.apply(privileged as unknown as KubeObject, { dryRun: true });
            assert.ok(
                response.warnings.some((warning) => /would violate PodSecurity "restricted:latest"/.test(warning)),
                `warnings: ${JSON.stringify(response.warnings)}`,
            );
        });

        it("rejects an object with an invalid field (a selector that does not match the template)", async function () {
            const deployment = await deployed.plane.client.get<KubeObject & { spec: { template: { metadata: { labels: Record<string, string> } } } }>(
                "apps/v1", "Deployment", deployed.namespace, "frontend",
            );
            assert.ok(deployment);
            const invalid = {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "frontend-invalid", namespace: deployed.namespace },
                spec: {
                    ...(deployment as unknown as { spec: Record<string, unknown> }).spec,
                    selector: { matchLabels: { "app.kubernetes.io/name": "not-the-template" } },
                },
            };
            await assert.rejects(
                deployed.plane.client.apply(invalid as unknown as KubeObject),
                (error: unknown) => error instanceof KubeApiError && error.status === 422 && /`selector` does not match template `labels`/.test(error.message),
            );
        });
    });
}
