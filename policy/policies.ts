/**
 * The pack's policies: the rule tables of rules.ts wrapped for CrossGuard. Only type imports from
 * @pulumi/policy here, so tests can load this file and call the policies exactly as the analyzer does.
 *
 * Resources are matched on `args.type` (e.g. `kubernetes:apps/v1:Deployment`) rather than with
 * `validateResourceOfType(k8s.apps.v1.Deployment, ...)`: that would make @pulumi/kubernetes (and,
 * through its install script, the kubernetes provider plugin) a dependency of the pack just to read
 * a type token; the root tests check the tokens against the SDKs' own.
 */
import type {
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { isProdStack, objectRules, PackConfig, StackResource, stackRules } from "./rules";

/** Config of the prod-only policies: `{"prod-data-protected": {"environment": "prod"}}`. */
export const environmentConfigSchema: PolicyConfigSchema = {
    properties: {
        environment: {
            type: "string",
            enum: ["dev", "prod"],
            description: "prod turns the prod-only policies on even if no namespace enforces Pod Security restricted",
        },
    },
};

export function toStackResource(r: PolicyResource): StackResource {
    return { type: r.type, name: r.name, urn: r.urn, protect: r.opts.protect, props: r.props };
}

export const resourcePolicies: ResourceValidationPolicy[] = objectRules.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!rule.types.includes(args.type)) args.notApplicable(`applies to ${rule.types.join(", ")}`);
        for (const message of rule.check(args.props)) reportViolation(message);
    },
}));

export const stackPolicies: StackValidationPolicy[] = stackRules.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    ...(rule.prodOnly ? { configSchema: environmentConfigSchema } : {}),
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const resources = args.resources.map(toStackResource);
        if (rule.prodOnly && !isProdStack(resources, args.getConfig<PackConfig>())) {
            args.notApplicable("not a prod stack: no namespace enforces Pod Security restricted and config environment is not prod");
        }
        for (const v of rule.check(resources)) reportViolation(v.message, v.urn);
    },
}));

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [...resourcePolicies, ...stackPolicies];
