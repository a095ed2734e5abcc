import { strict as assert } from "assert";
import { environmentConfigSchema, policies, resourcePolicies, stackPolicies, toStackResource } from "../policy/policies";
import { objectRules, stackRules, types } from "../policy/rules";

// @pulumi/policy's types, through the pack's exports (the package lives in policy/node_modules, out of the root's reach).
type ResourceValidationPolicy = (typeof resourcePolicies)[number];
type StackValidationPolicy = (typeof stackPolicies)[number];
type PolicyResource = Parameters<typeof toStackResource>[0];
type ResourceValidationArgs = Parameters<Extract<ResourceValidationPolicy["validateResource"], (...args: never[]) => unknown>>[0];
type StackValidationArgs = Parameters<StackValidationPolicy["validateStack"]>[0];

/**
 * The pack's wiring (policy/policies.ts) in process: each policy carries its rule's name and is mandatory, runs only on its
 * rule's types (or prod stacks), and reports exactly the rule's messages. Arguments are built the way Pulumi's policy host
 * builds them (its `notApplicable` throws to end the policy); test/policy.test.ts runs the real host over gRPC.
 */

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/** Runs one resource policy as the host does: the reported messages, or the not-applicable reason. */
function runResource(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>): string[] | { notApplicable: string } {
    const reported: string[] = [];
    const args = { type, props, urn: `urn:pulumi:dev::nsip::${type}::x`, name: "x", opts: { protect: false }, notApplicable } as unknown as ResourceValidationArgs;
    try {
        void (policy.validateResource as (a: ResourceValidationArgs, r: (message: string) => void) => void)(args, (message) => reported.push(message));
    } catch (e) {
        if (e instanceof NotApplicable) return { notApplicable: e.message };
        throw e;
    }
    return reported;
}

function runStack(policy: StackValidationPolicy, resources: PolicyResource[], config: Record<string, unknown> = {}): { message: string; urn?: string }[] | { notApplicable: string } {
    const reported: { message: string; urn?: string }[] = [];
    const args = { resources, getConfig: () => config, notApplicable } as unknown as StackValidationArgs;
    try {
        void (policy.validateStack as (a: StackValidationArgs, r: (message: string, urn?: string) => void) => void)(args, (message, urn) => reported.push({ message, urn }));
    } catch (e) {
        if (e instanceof NotApplicable) return { notApplicable: e.message };
        throw e;
    }
    return reported;
}

const policyResource = (type: string, name: string, props: Record<string, unknown>, protect = false): PolicyResource =>
    ({ type, name, urn: `urn:pulumi:prod::nsip::${type}::${name}`, props, opts: { protect } }) as unknown as PolicyResource;

describe("policy pack wiring (policy/policies.ts) in process", () => {
    it("one mandatory policy per rule, with the rule's name and description, resource policies first", () => {
        assert.deepEqual(
            policies.map((p) => [p.name, p.enforcementLevel]),
            [...objectRules, ...stackRules].map((r) => [r.name, "mandatory"]),
        );
        assert.deepEqual(
            policies.map((p) => p.description),
            [...objectRules, ...stackRules].map((r) => r.description),
        );
        assert.deepEqual(resourcePolicies.map((p) => p.name), objectRules.map((r) => r.name));
        assert.deepEqual(stackPolicies.map((p) => p.name), stackRules.map((r) => r.name));
        assert.deepEqual(
            stackPolicies.filter((p) => p.configSchema !== undefined).map((p) => [p.name, p.configSchema]),
            stackRules.filter((r) => r.prodOnly).map((r) => [r.name, environmentConfigSchema]),
            "only prod-only policies take the environment config",
        );
    });

    it("a resource policy is not applicable to other types, and reports its rule's messages one by one", () => {
        const namespacePolicy = resourcePolicies.find((p) => p.name === "namespace-pod-security-label")!;
        assert.deepEqual(runResource(namespacePolicy, types.Deployment, { kind: "Deployment" }), { notApplicable: "applies to kubernetes:core/v1:Namespace" });
        assert.deepEqual(runResource(namespacePolicy, types.Namespace, { kind: "Namespace", metadata: { name: "nsip" } }), [
            'Namespace nsip: metadata.labels["pod-security.kubernetes.io/enforce"] is not set',
        ]);
        assert.deepEqual(runResource(namespacePolicy, types.Namespace, { kind: "Namespace", metadata: { name: "nsip", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } }), []);
        const tokenPolicy = resourcePolicies.find((p) => p.name === "no-service-account-token")!;
        assert.deepEqual(runResource(tokenPolicy, types.ServiceAccount, { kind: "ServiceAccount", metadata: { name: "api", namespace: "nsip" } }), [
            "ServiceAccount nsip/api: automountServiceAccountToken must be false (found unset); only prometheus, cluster-autoscaler, and kube-state-metrics get a token",
        ]);
        const applies = (runResource(tokenPolicy, types.Service, {}) as { notApplicable: string }).notApplicable;
        assert.equal(applies, `applies to ${[...objectRules.find((r) => r.name === "no-service-account-token")!.types].join(", ")}`);
    });

    it("stack policies: resources converted with name, urn and protect; prod-only ones not applicable outside prod", () => {
        assert.deepEqual(toStackResource(policyResource(types.KmsKey, "key", { a: 1 }, true)), {
            type: types.KmsKey,
            name: "key",
            urn: `urn:pulumi:prod::nsip::${types.KmsKey}::key`,
            protect: true,
            props: { a: 1 },
        });
        const pvc = policyResource(types.PersistentVolumeClaim, "data", {});
        const devNamespace = policyResource(types.Namespace, "nsip", { kind: "Namespace", metadata: { name: "nsip", labels: { "pod-security.kubernetes.io/enforce": "baseline" } } });
        const prodNamespace = policyResource(types.Namespace, "nsip", { kind: "Namespace", metadata: { name: "nsip", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
        const dataPolicy = stackPolicies.find((p) => p.name === "prod-data-protected")!;
        const unprotected = [{ message: "kubernetes:core/v1:PersistentVolumeClaim data: the protect resource option must be set on data in prod", urn: pvc.urn }];
        assert.deepEqual(runStack(dataPolicy, [devNamespace, pvc]), {
            notApplicable: "not a prod stack: no namespace enforces Pod Security restricted and config environment is not prod",
        });
        assert.deepEqual(runStack(dataPolicy, [devNamespace, pvc], { environment: "prod" }), unprotected, "pack config makes it prod");
        assert.deepEqual(runStack(dataPolicy, [prodNamespace, pvc]), unprotected);
        assert.deepEqual(runStack(dataPolicy, [prodNamespace, { ...pvc, opts: { protect: true } } as PolicyResource]), []);
        const denyPolicy = stackPolicies.find((p) => p.name === "default-deny-network-policy")!;
        assert.deepEqual(runStack(denyPolicy, [devNamespace]), [
            { message: "namespace nsip has no default-deny NetworkPolicy (spec.podSelector {}, spec.policyTypes [Ingress, Egress], no ingress or egress rules)", urn: devNamespace.urn },
        ]);
    });
});
