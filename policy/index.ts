import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// `pulumi preview --stack prod --policy-pack policy` (after `npm ci --prefix policy`); see README.md.
new PolicyPack("nsip-hardening", {
    description: "NSIP hardening rules: Pod Security restricted, read-only roots, requests/limits, probes, no API tokens, pinned images, no metrics through load balancers, default deny, protected data in prod.",
    enforcementLevel: "mandatory",
    policies,
});
