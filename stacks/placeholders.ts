import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "../components/cluster/cidr";
import type { ConfigIssue } from "./rules";
import type { NsipConfig } from "./schema";
import { isRealUpdate } from "./run-mode";

/**
 * Values reserved for documentation that the committed example stacks carry. They are well-formed, so the
 * schema accepts them, but a real deployment with them fails half-way: EKS creates the VPC and the cluster,
 * then nobody can reach the API from 203.0.113.0/24, the admin role of account 123456789012 does not exist,
 * and the NLB cannot attach a certificate that is not there.
 */

/** RFC 5737: TEST-NET-1, -2 and -3. */
const DOCUMENTATION_NETWORKS = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
/** The account id the AWS documentation uses in every example ARN. */
const DOCUMENTATION_ACCOUNT = "123456789012";
/** RFC 2606 section 3: the second-level names reserved for examples. */
const DOCUMENTATION_DOMAINS = ["example.com", "example.net", "example.org"];

export function documentationPlaceholders(config: NsipConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const cluster = config.cluster;
    if (cluster.provider === "eks") {
        cluster.publicAccessCidrs.forEach((cidr, i) => {
            const network = documentationNetwork(cidr);
            if (network) issues.push({ key: `nsip:cluster.publicAccessCidrs[${i}]`, message: `${cidr} overlaps ${network}, a documentation range (RFC 5737): list the CIDRs your operators reach the API from` });
        });
        cluster.adminPrincipalArns.forEach((arn, i) => {
            if (arnAccount(arn) === DOCUMENTATION_ACCOUNT) issues.push({ key: `nsip:cluster.adminPrincipalArns[${i}]`, message: `${arn} is in the documentation account ${DOCUMENTATION_ACCOUNT}: use your own role ARN` });
        });
    }
    const certificate = config.edge.tlsCertificateArn;
    if (certificate !== undefined) {
        const reasons = [
            ...(arnAccount(certificate) === DOCUMENTATION_ACCOUNT ? [`is in the documentation account ${DOCUMENTATION_ACCOUNT}`] : []),
            ...(isNilCertificateId(certificate) ? ["has an all-zero certificate id"] : []),
        ];
        if (reasons.length > 0) issues.push({ key: "nsip:edge.tlsCertificateArn", message: `${reasons.join(" and ")}: use the ARN of your ACM certificate` });
    }
    const hostname = config.edge.hostname;
    if (hostname !== undefined && isDocumentationDomain(hostname)) {
        issues.push({ key: "nsip:edge.hostname", message: `${hostname} is a documentation domain (RFC 2606): use the host name your users reach` });
    }
    config.api.corsOrigins.forEach((origin, i) => {
        if (isDocumentationDomain(new URL(origin).hostname)) issues.push({ key: `nsip:api.corsOrigins[${i}]`, message: `${origin} is a documentation domain (RFC 2606)` });
    });
    return issues;
}

/** A real `pulumi up` refuses; `pulumi preview` and the offline render (mocks) only warn. */
export type PlaceholderMode = "refuse" | "warn";

export function placeholderMode(): PlaceholderMode {
    return isRealUpdate() ? "refuse" : "warn";
}

/**
 * Returns the issues that must stop the deployment (mode "refuse"); in mode "warn" they are logged as
 * warnings, one per key, and none are returned.
 */
export function placeholderIssues(config: NsipConfig, mode: PlaceholderMode, warn: (message: string) => void = (m) => pulumi.log.warn(m)): ConfigIssue[] {
    const found = documentationPlaceholders(config);
    if (mode === "refuse") return found;
    for (const issue of found) warn(`${issue.key}: ${issue.message} (a real \`pulumi up\` refuses this value)`);
    return [];
}

function documentationNetwork(cidr: string): string | undefined {
    const { address, prefix } = parseCidr(cidr);
    return DOCUMENTATION_NETWORKS.find((network) => {
        const doc = parseCidr(network);
        // Aligned blocks (no host bits) overlap when they agree on the bits of the shorter prefix.
        const shorter = 2 ** (32 - Math.min(prefix, doc.prefix));
        return Math.floor(address / shorter) === Math.floor(doc.address / shorter);
    });
}

function arnAccount(arn: string): string | undefined {
    return arn.split(":")[4];
}

/**
 * `00000000-0000-4000-8000-000000000000` and the like: nothing but the UUID version and variant digits. The schema
 * admits only UUID certificate ids, so the id always has 32 hex digits.
 */
function isNilCertificateId(arn: string): boolean {
    const id = arn.slice(arn.lastIndexOf("/") + 1).replace(/-/g, "");
    return id.replace(/0/g, "").length <= 2;
}

function isDocumentationDomain(hostname: string): boolean {
    const name = hostname.toLowerCase().replace(/\.$/, "");
    return DOCUMENTATION_DOMAINS.some((domain) => name === domain || name.endsWith(`.${domain}`));
}
