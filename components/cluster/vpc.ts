import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cidrSubnet, MAX_AVAILABILITY_ZONES, parseCidr, SMALLEST_VPC_PREFIX } from "./cidr";

export { MAX_AVAILABILITY_ZONES };

/**
 * Zone IDs where EKS refuses control-plane subnets (UnsupportedAvailabilityZoneException): the AWS EKS user guide's
 * subnet requirements (us-east-1, us-west-1, ca-central-1) and eksctl's zoneIDsToAvoid (pkg/az/az.go, plus cn-north-1).
 */
export const EKS_UNSUPPORTED_ZONE_IDS: readonly string[] = ["use1-az3", "usw1-az2", "cac1-az3", "cnn1-az4"];

/**
 * The zones a cluster may use, from the zone IDs getAvailabilityZones returned: those EKS supports, ordered by zone ID, so the choice is the same in every account (names map to zones per account) and
 * does not change when AWS adds a zone name. Pure, so tests check it without AWS.
 */
export function eksZoneIds(zoneIds: string[], count: number): string[] {
    const supported = zoneIds.filter((id) => !EKS_UNSUPPORTED_ZONE_IDS.includes(id)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    if (supported.length < count) {
        const excluded = zoneIds.filter((id) => EKS_UNSUPPORTED_ZONE_IDS.includes(id));
        throw new Error(
            `the region has ${supported.length} available standard AZs that EKS supports (${supported.join(", ") || "none"}${excluded.length > 0 ? `; ${excluded.join(", ")} excluded: EKS refuses cluster subnets there` : ""}), fewer than availabilityZoneCount ${count}`,
        );
    }
    return supported.slice(0, count);
}

export interface ClusterVpcArgs {
    /** EKS cluster name, for the `kubernetes.io/cluster/<name>` subnet tags that load balancer controllers look for. */
    clusterName: string;
    /** VPC CIDR, e.g. `10.0.0.0/16`. Private subnets take /19s from its lower half, public subnets /20s from its upper half. */
    cidrBlock: string;
    /** Number of AZs, 2 to 4. */
    availabilityZoneCount: number;
    /**
     * Explicit AZ IDs, e.g. `use1-az1` (at least `availabilityZoneCount`; IDs name the same zone in every account, names
     * do not); undefined: the region's available standard AZs that EKS supports, by zone ID.
     */
    availabilityZoneIds?: string[];
    /** `perAz`: a NAT gateway per AZ, so an AZ outage doesn't cut the others' egress (prod). `single`: one, cheaper. */
    natGateways: "perAz" | "single";
    /** VPC flow logs (every accepted and rejected flow, to CloudWatch Logs): days kept, and kept on destroy (prod). */
    flowLogs: { retentionDays: number; protect: boolean };
}

/**
 * Subnet plan: AZ i gets private subnet i (/prefix+3, lower half of the VPC, room for VPC CNI pod IPs) and
 * public subnet 8+i (/prefix+4, upper half). Pure, so tests check it without AWS.
 */
export function subnetPlan(vpcCidr: string, azCount: number): { privateCidrs: string[]; publicCidrs: string[] } {
    if (!Number.isInteger(azCount) || azCount < 2 || azCount > MAX_AVAILABILITY_ZONES) {
        throw new Error(`availabilityZoneCount must be an integer from 2 to ${MAX_AVAILABILITY_ZONES}, got ${azCount}`);
    }
    if (parseCidr(vpcCidr).prefix > SMALLEST_VPC_PREFIX) {
        throw new Error(`VPC CIDR ${vpcCidr} is too small; use /${SMALLEST_VPC_PREFIX} or larger (e.g. /16)`);
    }
    const indexes = [...Array(azCount).keys()];
    return {
        privateCidrs: indexes.map((i) => cidrSubnet(vpcCidr, 3, i)),
        publicCidrs: indexes.map((i) => cidrSubnet(vpcCidr, 4, 8 + i)),
    };
}

/** VPC over N AZs: public LB subnets behind an internet gateway, private node subnets behind NAT. */
export class ClusterVpc extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly natGatewayCount: number;

    constructor(name: string, args: ClusterVpcArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:cluster:Vpc", name, {}, opts);
        const { privateCidrs, publicCidrs } = subnetPlan(args.cidrBlock, args.availabilityZoneCount);
        const azCount = args.availabilityZoneCount;
        if (args.availabilityZoneIds && args.availabilityZoneIds.length < azCount) {
            throw new Error(`availabilityZoneIds lists ${args.availabilityZoneIds.length} AZs, fewer than availabilityZoneCount ${azCount}`);
        }
        const refused = args.availabilityZoneIds?.filter((id) => EKS_UNSUPPORTED_ZONE_IDS.includes(id)) ?? [];
        if (refused.length > 0) {
            throw new Error(`availabilityZoneIds lists ${refused.join(", ")}, where EKS refuses cluster subnets`);
        }

        const zoneId = this.availabilityZoneResolver(args);
        const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };

        const vpc = new aws.ec2.Vpc(
            name,
            { cidrBlock: args.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name } },
            { parent: this },
        );
        const igw = new aws.ec2.InternetGateway(name, { vpcId: vpc.id, tags: { Name: name } }, { parent: this });

        // The default security group allows all traffic between its members; nothing should use it, so it allows nothing.
        new aws.ec2.DefaultSecurityGroup(name, { vpcId: vpc.id, ingress: [], egress: [], tags: { Name: `${name}-default-unused` } }, { parent: this });
        this.flowLogs(name, vpc, args.flowLogs);

        const publicRouteTable = new aws.ec2.RouteTable(
            `${name}-public`,
            { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { Name: `${name}-public` } },
            { parent: this },
        );

        const publicSubnets: aws.ec2.Subnet[] = [];
        const privateSubnets: aws.ec2.Subnet[] = [];
        for (let i = 0; i < azCount; i++) {
            const az = zoneId(i);
            const pub = new aws.ec2.Subnet(
                `${name}-public-${i}`,
                {
                    vpcId: vpc.id,
                    availabilityZoneId: az,
                    cidrBlock: publicCidrs[i],
                    mapPublicIpOnLaunch: false,
                    tags: { Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1", ...clusterTag },
                },
                { parent: this },
            );
            new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: pub.id, routeTableId: publicRouteTable.id }, { parent: this });
            publicSubnets.push(pub);

            privateSubnets.push(
                new aws.ec2.Subnet(
                    `${name}-private-${i}`,
                    {
                        vpcId: vpc.id,
                        availabilityZoneId: az,
                        cidrBlock: privateCidrs[i],
                        tags: { Name: `${name}-private-${i}`, "kubernetes.io/role/internal-elb": "1", ...clusterTag },
                    },
                    { parent: this },
                ),
            );
        }

        this.natGatewayCount = args.natGateways === "perAz" ? azCount : 1;
        const natGateways: aws.ec2.NatGateway[] = [];
        for (let i = 0; i < this.natGatewayCount; i++) {
            const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { Name: `${name}-nat-${i}` } }, { parent: this });
            natGateways.push(
                new aws.ec2.NatGateway(
                    `${name}-nat-${i}`,
                    { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { Name: `${name}-nat-${i}` } },
                    // AWS: a NAT gateway needs the VPC's internet gateway attached before it can route.
                    { parent: this, dependsOn: [igw] },
                ),
            );
        }

        const privateRouteTables = privateSubnets.map((subnet, i) => {
            const nat = natGateways[args.natGateways === "perAz" ? i : 0];
            const routeTable = new aws.ec2.RouteTable(
                `${name}-private-${i}`,
                { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { Name: `${name}-private-${i}` } },
                { parent: this },
            );
            new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routeTable.id }, { parent: this });
            return routeTable;
        });

        // Image layers from ECR (served from S3) and the PostgreSQL dumps reach S3 through the gateway, not through NAT
        // (no NAT data charge, and no hop through another AZ). Gateway endpoints cost nothing.
        const region = aws.getRegionOutput({}, { parent: this }).region;
        new aws.ec2.VpcEndpoint(
            `${name}-s3`,
            {
                vpcId: vpc.id,
                serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: privateRouteTables.map((t) => t.id),
                tags: { Name: `${name}-s3` },
            },
            { parent: this },
        );

        this.vpcId = vpc.id;
        this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
        this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
        this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
    }

    /** Every accepted and rejected flow to a CloudWatch log group with a retention, delivered by a role only VPC Flow Logs may assume. */
    private flowLogs(name: string, vpc: aws.ec2.Vpc, settings: ClusterVpcArgs["flowLogs"]): void {
        // A name prefix: a group kept on destroy never collides with the next stack's.
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { namePrefix: `/aws/vpc/${name}-flow-logs-`, retentionInDays: settings.retentionDays },
            { parent: this, protect: settings.protect, retainOnDelete: settings.protect },
        );
        const role = new aws.iam.Role(
            `${name}-flow-logs`,
            {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
            },
            { parent: this },
        );
        const delivery = new aws.iam.RolePolicy(
            `${name}-flow-logs`,
            {
                role: role.id,
                policy: logGroup.arn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: `${arn}:*` }],
                    }),
                ),
            },
            { parent: this },
        );
        new aws.ec2.FlowLog(
            name,
            { vpcId: vpc.id, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: logGroup.arn, iamRoleArn: role.arn, tags: { Name: name } },
            { parent: this, dependsOn: [delivery] },
        );
    }

    private availabilityZoneResolver(args: ClusterVpcArgs): (index: number) => pulumi.Input<string> {
        const ids = args.availabilityZoneIds;
        if (ids) {
            return (i) => ids[i];
        }
        // Standard AZs only: local and wavelength zones are opt-in and lack services EKS needs.
        const zones = aws.getAvailabilityZonesOutput(
            { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
            { parent: this },
        );
        const chosen = zones.zoneIds.apply((zoneIds) => eksZoneIds(zoneIds, args.availabilityZoneCount));
        return (i) => chosen.apply((picked) => picked[i]);
    }
}
