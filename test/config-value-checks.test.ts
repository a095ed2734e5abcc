import { strict as assert } from "assert";
import * as v from "../stacks/values";

/**
 * The single-value checks of stacks/values.ts where the mutation run found them untried: the exact
 * problem each check states (the loader shows it to the user as it is), values at the very length and
 * number limits, and the parts of a pattern (anchors, repetitions) no other test breaks.
 */
function accepts(check: v.Check<string>, values: string[]): void {
    for (const value of values) assert.equal(check(value), undefined, `should accept ${JSON.stringify(value)}`);
}
function rejectsWith(check: v.Check<string>, problem: string, values: string[]): void {
    for (const value of values) assert.equal(check(value), problem, `problem for ${JSON.stringify(value)}`);
}

const CRON = 'a 5-field cron schedule (minute hour day-of-month month day-of-week) such as "0 3 * * *"';
const REGISTRY = 'a registry host[:port] such as "registry.example.com" or "registry.example.com:5000" (no scheme, no path)';

describe("config value checks: messages, limits and pattern edges", () => {
    it("quantity suffixes scale by their decimal or binary factor", () => {
        const bytes: [string, bigint][] = [
            ["7", 7n],
            ["2k", 2n * 10n ** 3n],
            ["2M", 2n * 10n ** 6n],
            ["2G", 2n * 10n ** 9n],
            ["2T", 2n * 10n ** 12n],
            ["2P", 2n * 10n ** 15n],
            ["2E", 2n * 10n ** 18n],
            ["2Ki", 2n * 2n ** 10n],
            ["2Mi", 2n * 2n ** 20n],
            ["2Gi", 2n * 2n ** 30n],
            ["2Ti", 2n * 2n ** 40n],
            ["2Pi", 2n * 2n ** 50n],
            ["2Ei", 2n * 2n ** 60n],
            ["2.25Ki", 2304n],
        ];
        for (const [text, expected] of bytes) assert.equal(v.quantityBytes(text), expected, text);
        assert.deepEqual(v.parseQuantity("2.25m"), { amount: { num: 225n, den: 100000n }, suffix: "m" });
        for (const text of ["1.5.5", "1.x", "1.Ki", "x1Ki", "1Kix", "1ki"]) assert.equal(v.parseQuantity(text), undefined, text);
    });

    it("byte quantities with a fraction are whole bytes of the fraction, not num times den", () => {
        // 100.5Gi is 1005Gi/10; multiplying would make it 10050Gi, over the 1Ti limit (and 15.5Mi 1550Mi, over the floor).
        accepts(v.memoryQuantity, ["100.5Gi", "16.5Mi"]);
        rejectsWith(v.memoryQuantity, 'a Kubernetes memory quantity in bytes from 16Mi to 1Ti, such as "512Mi" or "2Gi"', ["15.5Mi", "1023.5Ki", "1024.5Gi"]);
    });

    it("each byte quantity names itself and its range in its problem", () => {
        const memory = 'a Kubernetes memory quantity in bytes from 16Mi to 1Ti, such as "512Mi" or "2Gi"';
        rejectsWith(v.memoryQuantity, memory, ["15Mi", "2Ti", "lots"]);
        assert.equal(v.memoryQuantity("128m"), `${memory} ("m" is millibytes)`);
        assert.equal(v.memoryQuantity("1.5"), `${memory} (whole bytes)`);
        rejectsWith(v.ephemeralStorageQuantity, 'a Kubernetes ephemeral-storage quantity in bytes from 1Mi to 1Ti, such as "512Mi" or "2Gi"', ["1023Ki", "2Ti"]);
        rejectsWith(v.volumeSize, 'a Kubernetes volume size quantity in bytes from 1Gi to 16Ti, such as "512Mi" or "2Gi"', ["1023Mi", "17Ti"]);
        const cpu = 'a Kubernetes CPU quantity from 1m to 1024 cores, such as "250m" or "1.5"';
        rejectsWith(v.cpuQuantity, cpu, ["0", "1025", "1Gi"]);
        assert.equal(v.cpuQuantity("0.0005"), `${cpu} (no finer than 1m)`);
    });

    it("DNS names: a subdomain of exactly 253 characters, and every problem as stated", () => {
        const label = "a".repeat(63);
        const longest = `${label}.${label}.${label}.${"a".repeat(61)}`;
        assert.equal(longest.length, 253);
        accepts(v.dnsSubdomain, [longest]);
        const subdomain = "a DNS-1123 subdomain: at most 253 characters of dot-separated lowercase labels (letters, digits, '-'; no leading or trailing '-')";
        rejectsWith(v.dnsSubdomain, subdomain, [`${longest}a`, `${label}.${label}.${label}.${"a".repeat(62)}`, "a..b", "A.b"]);
        rejectsWith(v.dnsLabel, "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit", ["", "-a", "a-", "a".repeat(64), "a.b"]);
        accepts(v.labelValue, ["a".repeat(63), "A_b.1-Z", "Z", "1"]);
        rejectsWith(v.labelValue, "a Kubernetes label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", ["", "-1", "1.", "a".repeat(64)]);
    });

    it("host names: only an all-digit last label is refused, whatever its length", () => {
        accepts(v.hostName, ["nsip.example.io2", "nsip.2io", "a.b2c"]);
        rejectsWith(v.hostName, 'a DNS host name such as "nsip.example.com" (lowercase labels separated by dots)', ["nsip.example.123", "10.0.0.10", "a.1", "localhost"]);
    });

    it("CIDR containment: a wider block is never inside a narrower one, even at the same address", () => {
        const block = (text: string) => v.parseIpv4Cidr(text)!;
        assert.equal(v.cidrContains(block("10.0.0.0/16"), block("10.0.0.0/8")), false);
        assert.equal(v.cidrContains(block("10.0.0.0/8"), block("10.0.0.0/16")), true);
        assert.equal(v.cidrContains(block("10.0.0.0/16"), block("10.0.0.0/16")), true);
        assert.equal(v.cidrsOverlap(block("10.0.0.0/16"), block("10.0.0.0/8")), true);
        assert.equal(v.ipv4Cidr("10.0.0.0/8x"), 'an IPv4 CIDR block: four octets 0-255 and a prefix 0-32, such as "198.51.100.0/24"');
        assert.equal(v.ipv4Cidr("10.0.0.1/8"), "an IPv4 CIDR block with no host bits set (the network address is 10.0.0.0/8)");
        const notPublic = "a public IPv4 CIDR block (EKS rejects private, loopback, link-local, shared and multicast ranges for the public endpoint)";
        rejectsWith(v.publicAccessCidr, notPublic, ["10.1.0.0/16", "172.16.0.0/12", "192.168.0.0/24", "100.64.0.0/10", "100.127.0.0/16", "127.0.0.1/32", "169.254.169.254/32", "224.0.0.0/4", "240.0.0.0/4", "96.0.0.0/3"]);
        accepts(v.publicAccessCidr, ["0.0.0.0/0", "100.128.0.0/16", "126.255.255.0/24", "128.0.0.0/16", "169.253.0.0/16", "223.255.255.0/24"]);
        for (const text of ["x10.0.0.0/8", "10.0.0.0/8 ", "10.0.0.1000/32", "10.0.0.1a/32", "10.0.0.01/32"]) assert.equal(v.parseIpv4Cidr(text), undefined, text);
        assert.deepEqual(v.parseIpv4Cidr("10.0.0.100/32"), { address: 10 * 2 ** 24 + 100, prefix: 32 });
    });

    it("cron: every descriptor the controller knows", () => {
        accepts(v.cronSchedule, ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
        rejectsWith(v.cronSchedule, CRON, ["@every 1h", "@reboot", "", "   ", "0 3 * *"]);
    });

    it("cron: fields split on any run of blanks", () => {
        accepts(v.cronSchedule, ["0  3 * * *", "0\t3 *  * *", "0 \t 3 * * *"]);
    });

    it("cron: a value is digits or a name, whole; a part is a value, range or step, whole", () => {
        assert.equal(v.cronSchedule("1a * * * *"), `${CRON}; minute must be 0-59`);
        assert.equal(v.cronSchedule("0 3 * 1jan *"), `${CRON}; month must be 1-12 or JAN-DEC`);
        assert.equal(v.cronSchedule("/5 * * * *"), `${CRON}; minute "/5" is not a value, range or step`);
        assert.equal(v.cronSchedule("5/x * * * *"), `${CRON}; minute "5/x" is not a value, range or step`);
        assert.equal(v.cronSchedule("0 3 * * MON-FRI/2x"), `${CRON}; day of week "MON-FRI/2x" is not a value, range or step`);
        assert.equal(v.cronSchedule("*/0 * * * *"), `${CRON}; minute step must be positive`);
        assert.equal(v.cronSchedule("0 */00 * * *"), `${CRON}; hour step must be positive`);
        accepts(v.cronSchedule, ["*/1 * * * *", "0-59/30 * * * *"]);
    });

    it("cron: both ends of a range are checked, and a range may start and end at one value", () => {
        assert.equal(v.cronSchedule("0-60 * * * *"), `${CRON}; minute must be 0-59`);
        assert.equal(v.cronSchedule("0 3 0-5 * *"), `${CRON}; day of month must be 1-31`);
        assert.equal(v.cronSchedule("0 3 * * SAT-7"), `${CRON}; day of week must be 0-6 or SUN-SAT`);
        assert.equal(v.cronSchedule("5-1 * * * *"), `${CRON}; minute range "5-1" ends before it starts`);
        assert.equal(v.cronSchedule("0 3 * DEC-JAN *"), `${CRON}; month range "DEC-JAN" ends before it starts`);
        accepts(v.cronSchedule, ["5-5 * * * *", "0 3 * MAR-MAR *", "0 0-0 * * *"]);
    });

    it("registry servers: the port's edges, and a scheme only when the text starts with one", () => {
        accepts(v.registryServer, ["r.example.com:1", "r.example.com:65535", "r.example.com"]);
        assert.equal(v.registryServer("r.example.com:0"), `${REGISTRY}; the port must be 1-65535`);
        assert.equal(v.registryServer("r.example.com:99999"), `${REGISTRY}; the port must be 1-65535`);
        assert.equal(v.registryServer("https://r.example.com"), `${REGISTRY}; drop the scheme`);
        assert.equal(v.registryServer("oci+https://r.example.com"), `${REGISTRY}; drop the scheme`);
        rejectsWith(v.registryServer, REGISTRY, ["0s://r.example.com", "r.example.com/https://x", "r.example.com:123456", "r.example.com:8o", "-r.example.com"]);
    });

    it("registry servers: labels of any length, any number of them", () => {
        accepts(v.registryServer, ["a", "ab", "a-b", "abc", "a--b.c--d.e", "a.b", "a.bc", "a.b-c", "a.b.c.d:5000", "registry.example.com:443"]);
        rejectsWith(v.registryServer, REGISTRY, ["a-.b", "a.-b", "a.b-", "a..b", "a.", ".a", "a:", "a:b", "a_b.c", "a.b_c", "a b"]);
    });

    it("repository prefixes: 200 characters at most, components and separators as the distribution spec writes them", () => {
        accepts(v.repositoryPrefix, ["a".repeat(200), `${"a".repeat(99)}/${"b".repeat(100)}`, "ab", "a.b", "a_b", "a__b", "a-b", "a---b", "ab.cd_ef", "a1/b2.c3"]);
        const problem = 'a repository path such as "team/nsip": lowercase components of letters and digits joined by ".", "_", "__" or "-", separated by "/"';
        rejectsWith(v.repositoryPrefix, problem, ["a".repeat(201), "-a", "a-", "_a", "a_", "a..b", "a.-b", "a___b", "A", "a b", "team/Nsip", "team/nsip!"]);
    });

    it("http(s) URLs: the problem as stated", () => {
        accepts(v.httpUrl, ["https://github.com/team/nsip", "http://git.example.com/nsip.git"]);
        rejectsWith(v.httpUrl, "an http(s) URL", ["ftp://example.com/x", "github.com/team/nsip", "http://", ""]);
    });

    it("AWS: regions, certificate regions and IAM paths up to 512 characters", () => {
        assert.equal(v.awsRegion("eu-west-9"), 'an AWS region the provider knows, such as "eu-west-1"');
        const uuid = "00000000-0000-4000-8000-000000000000";
        const acm = "an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>";
        assert.equal(v.acmCertificateArn(`arn:aws:acm:eu-west-9:123456789012:certificate/${uuid}`), `${acm}; "eu-west-9" is not an AWS region`);
        assert.equal(v.acmCertificateArn(`arn:aws:acm:cn-north-1:123456789012:certificate/${uuid}`), `${acm}; region cn-north-1 is in partition "aws-cn"`);
        assert.equal(v.acmCertificateArn("arn:aws:acm:eu-west-1:123456789012:certificate/x"), acm);
        const longestPath = `/${"p".repeat(510)}/`;
        assert.equal(longestPath.length, 512);
        accepts(v.iamPrincipalArn, [`arn:aws:iam::123456789012:role${longestPath}admin`]);
        assert.deepEqual(v.parseIamPrincipalArn(`arn:aws-cn:iam::123456789012:user${longestPath}ci`), { partition: "aws-cn" });
        const iam = "an IAM role or user ARN: arn:aws:iam::<12-digit account>:role/<name> (or user/<name>, with an optional /path/)";
        rejectsWith(v.iamPrincipalArn, iam, [`arn:aws:iam::123456789012:role/${"p".repeat(511)}/admin`, "arn:aws:iam::123456789012:role/"]);
    });

    it("instance types: 32 characters at most, nothing after the size; Graviton's g right after the generation", () => {
        const longest = `m6i.${"x".repeat(28)}`;
        assert.equal(longest.length, 32);
        accepts(v.instanceType, [longest, "u-6tb1.metal"]);
        rejectsWith(v.instanceType, 'an EC2 instance type such as "m6i.large"', [`${longest}x`, "m6i.large!", "m6i.large ", "m6i.lar.ge", "m6i.Large"]);
        for (const arm of ["m10g.large", "c12gn.xlarge", "is4gen.large", "hpc7g.4xlarge"]) assert.equal(v.instanceArchitecture(arm), "arm64", arm);
        for (const x86 of ["xa1.large", "1m7g.large", "m7i-flex.large", "g6e.xlarge", "c6in.large", "m7g"]) assert.equal(v.instanceArchitecture(x86), "x86_64", x86);
    });

    it("instance types: Mac instances, which no EKS AMI boots, are refused; other families beginning with m are not", () => {
        rejectsWith(v.instanceType, "an instance type an EKS node can run: mac instances run macOS on Dedicated Hosts only", ["mac1.metal", "mac2.metal", "mac2-m2pro.metal"]);
        // "macx" has no generation; "xmac2" only contains "mac": neither is the Mac family.
        accepts(v.instanceType, ["m7a.large", "m5zn.large", "macx.large", "xmac2.large"]);
    });

    it("EKS add-on versions: a published version or the default, the problem as stated", () => {
        accepts(v.eksAddonVersion, ["v1.13.2-eksbuild.4", "default"]);
        const problem = v.eksAddonVersion("latest") ?? "(accepted)";
        assert.ok(problem.startsWith('a published add-on version such as "v1.13.2-eksbuild.4"'), problem);
        assert.ok(problem.endsWith(`or "default" for EKS's default for the cluster's Kubernetes version`), problem);
    });
});
