/** The most AZs the VPC's subnet plan builds: private subnets are /prefix+3 blocks 0..3 of the VPC's lower half. */
export const MAX_AVAILABILITY_ZONES = 4;
/** The smallest VPC the subnet plan can split: /24 gives /27 private and /28 public subnets (AWS's smallest). */
export const SMALLEST_VPC_PREFIX = 24;

/**
 * IPv4 CIDR arithmetic for the cluster VPC, the same calculation as Terraform's `cidrsubnet`:
 * the `netNum`-th block of prefix length `prefix + newBits` inside `base`.
 */
export function cidrSubnet(base: string, newBits: number, netNum: number): string {
    const { address, prefix } = parseCidr(base);
    const newPrefix = prefix + newBits;
    if (!Number.isInteger(newBits) || newBits < 1 || newPrefix > 32) {
        throw new Error(`cidrSubnet: cannot add ${newBits} bits to ${base}`);
    }
    if (!Number.isInteger(netNum) || netNum < 0 || netNum >= 2 ** newBits) {
        throw new Error(`cidrSubnet: ${base} has no network number ${netNum} with ${newBits} new bits`);
    }
    const start = address + netNum * 2 ** (32 - newPrefix);
    return `${formatIpv4(start)}/${newPrefix}`;
}

/** The first host address of a Service CIDR: the ClusterIP Kubernetes gives the `kubernetes` Service. */
export function kubernetesServiceIp(serviceCidr: string): string {
    const { address, prefix } = parseCidr(serviceCidr);
    if (prefix > 30) throw new Error(`Service CIDR ${serviceCidr} is too small`);
    return formatIpv4(address + 1);
}

/**
 * The Service CIDR EKS picks when none is given: 172.20.0.0/16 for a VPC inside 10.0.0.0/8, else 10.100.0.0/16,
 * so it never overlaps the VPC. Set explicitly on the cluster, so the `kubernetes` Service's address is known here.
 */
export function eksServiceCidr(vpcCidr: string): string {
    return cidrsOverlap(vpcCidr, "10.0.0.0/8") ? "172.20.0.0/16" : "10.100.0.0/16";
}

/** Whether two CIDR blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
    const [x, y] = [parseCidr(a), parseCidr(b)];
    const size = (c: { prefix: number }) => 2 ** (32 - c.prefix);
    return x.address < y.address + size(y) && y.address < x.address + size(x);
}

export function parseCidr(cidr: string): { address: number; prefix: number } {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    const octets = match?.slice(1, 5).map(Number);
    const prefix = Number(match?.[5]);
    if (!match || !octets || octets.some((o) => o > 255) || prefix > 32) {
        throw new Error(`not an IPv4 CIDR block: ${JSON.stringify(cidr)}`);
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    if (address % 2 ** (32 - prefix) !== 0) {
        throw new Error(`${cidr} has host bits set; use the network address`);
    }
    return { address, prefix };
}

function formatIpv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}
