import { Region as AwsRegions } from "@pulumi/aws/types/enums";
import { EKS_ADDON_VERSION, EKS_DEFAULT_ADDON_VERSION } from "../components/cluster/addons";
import { SMALLEST_VPC_PREFIX } from "../components/cluster/cidr";

/**
 * Checks for single config values, each written after the tool that consumes the value: the
 * Kubernetes API server (quantities, names, label values, CronJob schedules), AWS (CIDRs, ARNs,
 * regions, CloudWatch retention), nginx, Redis, the Docker registry protocol and browsers (origins).
 *
 * Every check is `(value) => problem | undefined`: the problem says what was expected, the loader
 * adds the key path and the value found. Pure functions, so tests (and mutation testing) reach
 * every branch without the schema around them.
 */
export type Check<T> = (value: T) => string | undefined;

// ---------------------------------------------------------------------------------------------
// Kubernetes quantities

/**
 * The subset of Kubernetes' quantity grammar this program writes: a plain decimal number and a
 * suffix, no sign and no exponent. Parsed exactly (as a fraction of powers of ten and two) so
 * comparisons such as request <= limit never suffer from floating point.
 */
const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX_FACTOR: Record<string, { num: bigint; den: bigint }> = {
    "": { num: 1n, den: 1n },
    m: { num: 1n, den: 1000n },
    k: { num: 10n ** 3n, den: 1n },
    M: { num: 10n ** 6n, den: 1n },
    G: { num: 10n ** 9n, den: 1n },
    T: { num: 10n ** 12n, den: 1n },
    P: { num: 10n ** 15n, den: 1n },
    E: { num: 10n ** 18n, den: 1n },
    Ki: { num: 2n ** 10n, den: 1n },
    Mi: { num: 2n ** 20n, den: 1n },
    Gi: { num: 2n ** 30n, den: 1n },
    Ti: { num: 2n ** 40n, den: 1n },
    Pi: { num: 2n ** 50n, den: 1n },
    Ei: { num: 2n ** 60n, den: 1n },
};

/** An exact rational value of a quantity: `num / den` of the base unit (cores or bytes). */
export interface Amount {
    num: bigint;
    den: bigint;
}

/** Parses a quantity of the grammar above; undefined when it does not match. */
export function parseQuantity(text: string): { amount: Amount; suffix: string } | undefined {
    const match = QUANTITY.exec(text);
    if (!match) return undefined;
    const [whole, fraction = ""] = match[1]!.split(".");
    const suffix = match[2] ?? "";
    const factor = SUFFIX_FACTOR[suffix]!; // the pattern admits only these suffixes
    return { amount: { num: BigInt(whole + fraction) * factor.num, den: 10n ** BigInt(fraction.length) * factor.den }, suffix };
}

export function compareAmounts(a: Amount, b: Amount): number {
    const left = a.num * b.den;
    const right = b.num * a.den;
    return left < right ? -1 : left > right ? 1 : 0;
}

const MILLICORE: Amount = { num: 1n, den: 1000n };
const MAX_CORES: Amount = { num: 1024n, den: 1n };

/** CPU: cores ("0.5", "2") or millicores ("250m"); Kubernetes keeps no precision finer than 1m. */
export const cpuQuantity: Check<string> = (text) => {
    const expected = 'a Kubernetes CPU quantity from 1m to 1024 cores, such as "250m" or "1.5"';
    const parsed = parseQuantity(text);
    if (!parsed || !["", "m"].includes(parsed.suffix)) return expected;
    const { amount } = parsed;
    if ((amount.num * 1000n) % amount.den !== 0n) return `${expected} (no finer than 1m)`;
    if (compareAmounts(amount, MILLICORE) < 0 || compareAmounts(amount, MAX_CORES) > 0) return expected;
    return undefined;
};

/** Bytes: whole bytes with a binary (Ki..Ei) or decimal (k..E) suffix; never "m", which is millibytes. */
function byteQuantity(what: string, min: bigint, minText: string, max: bigint, maxText: string): Check<string> {
    return (text) => {
        const expected = `a Kubernetes ${what} quantity in bytes from ${minText} to ${maxText}, such as "512Mi" or "2Gi"`;
        const parsed = parseQuantity(text);
        if (!parsed) return expected;
        if (parsed.suffix === "m") return `${expected} ("m" is millibytes)`;
        const { amount } = parsed;
        if (amount.num % amount.den !== 0n) return `${expected} (whole bytes)`;
        const value = amount.num / amount.den;
        if (value < min || value > max) return expected;
        return undefined;
    };
}

const Mi = 2n ** 20n;
const Gi = 2n ** 30n;
const Ti = 2n ** 40n;
/** Container memory: below a few MiB no runtime starts a container (Docker's own floor is 6 MB). */
export const memoryQuantity = byteQuantity("memory", 16n * Mi, "16Mi", 1024n * Gi, "1Ti");
export const ephemeralStorageQuantity = byteQuantity("ephemeral-storage", Mi, "1Mi", Ti, "1Ti");
/** PVC sizes: EBS gp3 volumes are 1 GiB to 16 TiB. */
export const volumeSize = byteQuantity("volume size", Gi, "1Gi", 16n * Ti, "16Ti");

/** Whole bytes of a quantity the checks above accepted. */
export function quantityBytes(text: string): bigint {
    const parsed = parseQuantity(text);
    if (!parsed) throw new Error(`not a quantity: ${text}`);
    return parsed.amount.num / parsed.amount.den;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes names

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label, as Kubernetes validates namespace and Service names. */
export const dnsLabel: Check<string> = (text) =>
    text.length <= 63 && DNS_LABEL.test(text) ? undefined : "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

/** RFC 1123 subdomain, as Kubernetes validates most object names (StorageClass) and as DNS host names are written. */
export const dnsSubdomain: Check<string> = (text) =>
    text.length <= 253 && text.split(".").every((label) => dnsLabel(label) === undefined)
        ? undefined
        : "a DNS-1123 subdomain: at most 253 characters of dot-separated lowercase labels (letters, digits, '-'; no leading or trailing '-')";

/** A public host name: a subdomain with at least two labels whose last label is not all digits. */
export const hostName: Check<string> = (text) => {
    const labels = text.split(".");
    const ok = dnsSubdomain(text) === undefined && labels.length >= 2 && !/^[0-9]+$/.test(labels[labels.length - 1]!);
    return ok ? undefined : 'a DNS host name such as "nsip.example.com" (lowercase labels separated by dots)';
};

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A Kubernetes label value (at most 63 characters, alphanumeric at both ends). */
export const labelValue: Check<string> = (text) =>
    text.length <= 63 && LABEL_VALUE.test(text)
        ? undefined
        : "a Kubernetes label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

// ---------------------------------------------------------------------------------------------
// IPv4 and CIDR arithmetic

const IPV4_CIDR = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\/(0|[1-9][0-9]?)$/;

export interface Ipv4Block {
    /** The address as an unsigned 32-bit number. */
    address: number;
    prefix: number;
}

/** Parses `a.b.c.d/p` with octets 0..255 (no leading zeros) and a prefix 0..32; undefined otherwise. */
export function parseIpv4Cidr(text: string): Ipv4Block | undefined {
    const match = IPV4_CIDR.exec(text);
    if (!match) return undefined;
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    return { address: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

function blockSize(prefix: number): number {
    return 2 ** (32 - prefix);
}

function hostBitsSet(block: Ipv4Block): boolean {
    return block.address % blockSize(block.prefix) !== 0;
}

function formatIpv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** True when a lies inside b (or equals it). */
export function cidrContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
    if (inner.prefix < outer.prefix) return false;
    const size = blockSize(outer.prefix);
    return Math.floor(inner.address / size) === Math.floor(outer.address / size);
}

export function cidrsOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
    return cidrContains(a, b) || cidrContains(b, a);
}

function cidrFormat(what: string): Check<string> {
    return (text) => {
        const block = parseIpv4Cidr(text);
        if (!block) return `${what}: four octets 0-255 and a prefix 0-32, such as "198.51.100.0/24"`;
        if (hostBitsSet(block)) {
            const network = block.address - (block.address % blockSize(block.prefix));
            return `${what} with no host bits set (the network address is ${formatIpv4(network)}/${block.prefix})`;
        }
        return undefined;
    };
}

export const ipv4Cidr = cidrFormat("an IPv4 CIDR block");

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseIpv4Cidr(c)!);
/** Ranges EKS refuses as public API endpoint sources: private, loopback, link-local, multicast and reserved. */
const NON_PUBLIC_RANGES = [...PRIVATE_RANGES, ...["100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3"].map((c) => parseIpv4Cidr(c)!)];

/** The smallest and largest VPC this program builds: AWS allows /16 to /28; the subnet plan needs /24 or larger. */
export const VPC_PREFIX = { min: 16, max: SMALLEST_VPC_PREFIX } as const;

/** A VPC CIDR: a private (RFC 1918) block AWS allows (/16 to /28) that the subnet plan can split (up to /24). */
export const vpcCidr: Check<string> = (text) => {
    const format = ipv4Cidr(text);
    if (format) return format;
    const block = parseIpv4Cidr(text)!;
    if (block.prefix < VPC_PREFIX.min || block.prefix > VPC_PREFIX.max) {
        return `a VPC CIDR from /${VPC_PREFIX.min} to /${VPC_PREFIX.max} (AWS allows /16 to /28; each AZ takes a /prefix+3 private and a /prefix+4 public subnet)`;
    }
    if (!PRIVATE_RANGES.some((range) => cidrContains(range, block))) return "a VPC CIDR inside a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)";
    return undefined;
};

/** A source CIDR for the EKS public endpoint: EKS accepts public addresses only. */
export const publicAccessCidr: Check<string> = (text) => {
    const format = ipv4Cidr(text);
    if (format) return format;
    const block = parseIpv4Cidr(text)!;
    if (block.prefix > 0 && NON_PUBLIC_RANGES.some((range) => cidrsOverlap(range, block))) {
        return "a public IPv4 CIDR block (EKS rejects private, loopback, link-local, shared and multicast ranges for the public endpoint)";
    }
    return undefined;
};

// ---------------------------------------------------------------------------------------------
// Cron, as the CronJob controller parses it (robfig/cron's standard parser)

const CRON_FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
    { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;
const CRON_DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** One cron field: a comma list of `*`, `?`, `n`, `a-b`, each optionally `/step`. */
function cronField(text: string, field: (typeof CRON_FIELDS)[number]): string | undefined {
    const range = `${field.name} must be ${field.min}-${field.max}${"names" in field ? ` or ${field.names[0]!.toUpperCase()}-${field.names[field.names.length - 1]!.toUpperCase()}` : ""}`;
    const value = (token: string): number | undefined => {
        if (/^[0-9]+$/.test(token)) return Number(token);
        const index = "names" in field ? (field.names as readonly string[]).indexOf(token.toLowerCase()) : -1;
        // Stryker disable next-line ConditionalExpression: an unknown name's index -1 plus min is below min, refused by the same range check
        return index < 0 ? undefined : index + field.min;
    };
    for (const part of text.split(",")) {
        const match = /^([^/]+)(?:\/([0-9]+))?$/.exec(part);
        if (!match) return `${field.name} "${part}" is not a value, range or step`;
        if (Number(match[2] ?? 1) === 0) return `${field.name} step must be positive`; // no step is a step of 1
        if (match[1] === "*" || match[1] === "?") continue;
        const bounds = match[1]!.split("-");
        if (bounds.length > 2) return `${field.name} "${part}" is not a value, range or step`;
        const numbers = bounds.map(value);
        if (numbers.some((n) => n === undefined || n < field.min || n > field.max)) return range;
        const [low, high = low] = numbers as [number, number?]; // a single value is the range n-n
        if (high < low) return `${field.name} range "${match[1]}" ends before it starts`;
    }
    return undefined;
}

/** A CronJob schedule: 5 fields (minute hour day-of-month month day-of-week) or @daily-style descriptors; no TZ prefix. */
export const cronSchedule: Check<string> = (text) => {
    const expected = 'a 5-field cron schedule (minute hour day-of-month month day-of-week) such as "0 3 * * *"';
    if (CRON_DESCRIPTORS.includes(text)) return undefined;
    if (/TZ/.test(text)) return `${expected}; set no time zone in it (CronJobs take spec.timeZone)`;
    const fields = text.trim().split(/\s+/);
    if (fields.length !== 5) return expected; // a blank schedule splits into one empty field
    for (const [i, field] of fields.entries()) {
        const problem = cronField(field, CRON_FIELDS[i]!);
        if (problem) return `${expected}; ${problem}`;
    }
    return undefined;
};

// ---------------------------------------------------------------------------------------------
// nginx, Redis

/** nginx size (ngx_parse_size): digits and an optional k or m; the edge needs at least 1k. */
export const nginxSize: Check<string> = (text) => {
    const expected = 'an nginx size from 1k to 1024m, digits with k or m, such as "11m"';
    const bytes = nginxSizeBytes(text);
    return bytes === undefined || bytes < 1024 || bytes > 1024 * 2 ** 20 ? expected : undefined;
};

export function nginxSizeBytes(text: string): number | undefined {
    const match = /^([0-9]{1,10})([km]?)$/.exec(text);
    if (!match) return undefined;
    return Number(match[1]) * { "": 1, k: 1024, m: 2 ** 20 }[match[2] as "" | "k" | "m"];
}

/** Redis memory (memtoull): digits with b, k (1000), kb (1024), m, mb, g, gb; 0 would mean "no limit" for a cache. */
export function redisMemoryBytes(text: string): number | undefined {
    const match = /^([0-9]{1,13})(b|k|kb|m|mb|g|gb)?$/.exec(text);
    if (!match) return undefined;
    const units: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30 };
    return Number(match[1]) * units[match[2] ?? ""]!;
}

export const redisMemory: Check<string> = (text) => {
    const bytes = redisMemoryBytes(text);
    return bytes === undefined || bytes < 2 ** 20 || bytes > 2 ** 40
        ? 'a Redis memory size from 1mb to 1024gb, digits with kb, mb or gb (k, m, g are powers of 1000), such as "256mb"'
        : undefined;
};

// ---------------------------------------------------------------------------------------------
// Registries, origins, URLs

const REGISTRY_HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?))*(?::([0-9]{1,5}))?$/;

/** A registry server as Docker names it in an image reference: host[:port], no scheme or path. */
export const registryServer: Check<string> = (text) => {
    const expected = 'a registry host[:port] such as "registry.example.com" or "registry.example.com:5000" (no scheme, no path)';
    const match = REGISTRY_HOST.exec(text);
    if (!match) return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? `${expected}; drop the scheme` : expected;
    const port = Number(match[1] ?? 443); // no port: the registry's default, https
    if (port < 1 || port > 65535) return `${expected}; the port must be 1-65535`;
    return undefined;
};

/** A path component of an image reference (Docker's reference grammar): lowercase runs joined by ".", "_", "__" or hyphens. */
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY_COMPONENT = new RegExp(`^${PATH_COMPONENT}$`);
const IMAGE_BY_DIGEST = new RegExp(`^${PATH_COMPONENT}(?::[0-9]{1,5})?(?:/${PATH_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$`);

/** A repository path as the distribution spec allows it: `/`-separated lowercase components. */
export const repositoryPrefix: Check<string> = (text) =>
    text.length <= 200 && text.split("/").every((component) => REPOSITORY_COMPONENT.test(component))
        ? undefined
        : 'a repository path such as "team/nsip": lowercase components of letters and digits joined by ".", "_", "__" or "-", separated by "/"';

/** An image pinned by digest, as `docker buildx imagetools inspect` prints it. A tag alone can move; a digest cannot. */
export const imageByDigest: Check<string> = (text) =>
    IMAGE_BY_DIGEST.test(text) ? undefined : "an image reference by digest such as registry.example.com/nsip/api@sha256:<64 hex digits>";

/**
 * A CORS origin as browsers send it in the Origin header and the api's `cors` compares it, character
 * for character: scheme, host and optional port; no path, no trailing slash, nothing else.
 */
export const corsOrigin: Check<string> = (text) => {
    const expected = 'an origin: http(s)://host[:port] with no path or trailing slash, such as "https://app.example.com"';
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        return expected;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return expected;
    return url.origin === text ? undefined : `${expected} (it would be "${url.origin}")`;
};

/** An http(s) URL (the OCI `source` label). */
export const httpUrl: Check<string> = (text) => {
    try {
        const url = new URL(text);
        // WHATWG URL refuses an http(s) URL with an empty host, so a parsed one always has a host name.
        return url.protocol === "http:" || url.protocol === "https:" ? undefined : "an http(s) URL";
    } catch {
        return "an http(s) URL";
    }
};

// ---------------------------------------------------------------------------------------------
// AWS

/** The regions the AWS provider knows (its `Region` enum). */
export const AWS_REGIONS: readonly string[] = Object.values(AwsRegions);

export const awsRegion: Check<string> = (text) => (AWS_REGIONS.includes(text) ? undefined : 'an AWS region the provider knows, such as "eu-west-1"');

/** The ARN partition of a region: aws, aws-cn, aws-us-gov, and the isolated partitions. */
export function partitionOf(region: string): string {
    const prefixes: [string, string][] = [
        ["cn-", "aws-cn"],
        ["us-gov-", "aws-us-gov"],
        ["us-isob-", "aws-iso-b"],
        ["us-isof-", "aws-iso-f"],
        ["us-iso-", "aws-iso"],
        ["eu-isoe-", "aws-iso-e"],
        ["eusc-", "aws-eusc"],
    ];
    return prefixes.find(([prefix]) => region.startsWith(prefix))?.[1] ?? "aws";
}

const PARTITION = "aws(?:-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?";
const ACCOUNT = "[0-9]{12}";
const ACM_ARN = new RegExp(`^arn:(${PARTITION}):acm:([a-z0-9-]+):${ACCOUNT}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);
/** IAM role and user names: 1-64 of [\w+=,.@-]; paths `/` or `/segment/.../`. */
const IAM_PRINCIPAL_ARN = new RegExp(`^arn:(${PARTITION}):iam::${ACCOUNT}:(role|user)(/(?:[\\x21-\\x7E]+/)*)([\\w+=,.@-]{1,64})$`);

export function parseAcmArn(text: string): { partition: string; region: string } | undefined {
    const match = ACM_ARN.exec(text);
    return match ? { partition: match[1]!, region: match[2]! } : undefined;
}

export const acmCertificateArn: Check<string> = (text) => {
    const expected = "an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>";
    const arn = parseAcmArn(text);
    if (!arn) return expected;
    if (!AWS_REGIONS.includes(arn.region)) return `${expected}; "${arn.region}" is not an AWS region`;
    if (partitionOf(arn.region) !== arn.partition) return `${expected}; region ${arn.region} is in partition "${partitionOf(arn.region)}"`;
    return undefined;
};

export function parseIamPrincipalArn(text: string): { partition: string } | undefined {
    const match = IAM_PRINCIPAL_ARN.exec(text);
    if (!match || match[3]!.length > 512) return undefined;
    return { partition: match[1]! };
}

export const iamPrincipalArn: Check<string> = (text) =>
    parseIamPrincipalArn(text) ? undefined : "an IAM role or user ARN: arn:aws:iam::<12-digit account>:role/<name> (or user/<name>, with an optional /path/)";

/**
 * The CPU architecture of an EC2 instance type, from AWS's naming convention: the processor letter right
 * after the generation number is "g" in Graviton (arm64) families (m7g, c6gn, r8gd, g5g, x2gd, is4gen,
 * hpc7g) and the first one is a1;
 * every other family is x86_64 (g5, g4dn and gr6 are GPU families, their "g" comes first).
 */
export function instanceArchitecture(type: string): "arm64" | "x86_64" {
    return /^(?:a1|[a-z]+[0-9]+g[a-z-]*)\./.test(type) ? "arm64" : "x86_64";
}

/**
 * EC2 instance type names: family[generation][attributes].size, e.g. m6i.large, c7gn.16xlarge, u-6tb1.metal.
 * Mac instances run macOS on Dedicated Hosts only: no EKS AMI type boots them.
 */
export const instanceType: Check<string> = (text) => {
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(text) || text.length > 32) return 'an EC2 instance type such as "m6i.large"';
    return /^mac[0-9]/.test(text) ? "an instance type an EKS node can run: mac instances run macOS on Dedicated Hosts only" : undefined;
};

/** An EKS add-on version as CreateAddon takes it, or "default" (EKS's default for the cluster's Kubernetes version, looked up at preview). */
export const eksAddonVersion: Check<string> = (text) =>
    text === EKS_DEFAULT_ADDON_VERSION || EKS_ADDON_VERSION.test(text)
        ? undefined
        : `a published add-on version such as "v1.13.2-eksbuild.4" (aws eks describe-addon-versions --addon-name <name> --kubernetes-version <minor>), or "${EKS_DEFAULT_ADDON_VERSION}" for EKS's default for the cluster's Kubernetes version`;

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days. */
export const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
