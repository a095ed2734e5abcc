import { strict as assert } from "assert";
import * as v from "../stacks/values";

/**
 * The single-value checks of stacks/values.ts at their edges: each accepted value beside the
 * nearest rejected ones, and every pattern broken at its first and at its last character.
 */
function accepts(check: v.Check<string>, values: string[]): void {
    for (const value of values) assert.equal(check(value), undefined, `should accept ${JSON.stringify(value)}`);
}
function rejects(check: v.Check<string>, values: string[]): void {
    for (const value of values) assert.notEqual(check(value), undefined, `should reject ${JSON.stringify(value)}`);
}

describe("config value checks", () => {
    it("instance architecture follows EC2's naming: Graviton families carry a g after the generation", () => {
        for (const arm of ["a1.large", "m7g.large", "c6gn.xlarge", "r8gd.2xlarge", "g5g.xlarge", "x2gd.medium", "t4g.small", "im4gn.large"]) {
            assert.equal(v.instanceArchitecture(arm), "arm64", arm);
        }
        for (const x86 of ["m6i.large", "g5.xlarge", "g4dn.xlarge", "gr6.4xlarge", "c5n.large", "m7i-flex.large", "t3.medium", "u-6tb1.metal", "a1x.large"]) {
            assert.equal(v.instanceArchitecture(x86), "x86_64", x86);
        }
    });

    it("CPU: millicores and cores from 1m to 1024, nothing finer than 1m, no byte suffixes", () => {
        accepts(v.cpuQuantity, ["1m", "250m", "0.001", "1", "1.5", "1024", "1024000m"]);
        rejects(v.cpuQuantity, ["0", "0m", "0.0005", "1.0001", "1024001m", "1025", "1Gi", "1k", "-1", "+1", "1e3", " 1", "1 ", "x1", "1x", ".5", "1.", ""]);
    });

    it("memory: whole bytes from 16Mi to 1Ti, never millibytes", () => {
        accepts(v.memoryQuantity, ["16Mi", "16777216", "1.5Gi", "1Ti", "20M", "1099511627776"]);
        rejects(v.memoryQuantity, ["15Mi", "16777215", "128m", "1.5", "1Ti1", "1025Gi", "1099511627777", "Mi", "16mi", " 16Mi", "16Mi ", "16.Mi"]);
    });

    it("ephemeral storage and volume sizes have their own ranges", () => {
        accepts(v.ephemeralStorageQuantity, ["1Mi", "64Mi", "1Ti"]);
        rejects(v.ephemeralStorageQuantity, ["1023Ki", "2Ti", "64m"]);
        accepts(v.volumeSize, ["1Gi", "50Gi", "16Ti"]);
        rejects(v.volumeSize, ["1023Mi", "17Ti", "1G"]);
    });

    it("quantities compare exactly across units", () => {
        const amount = (text: string) => v.parseQuantity(text)!.amount;
        assert.equal(v.compareAmounts(amount("1.5Gi"), amount("1536Mi")), 0);
        assert.equal(v.compareAmounts(amount("1.5Gi"), amount("1536M")), 1);
        assert.equal(v.compareAmounts(amount("999m"), amount("1")), -1);
        assert.equal(v.quantityBytes("1.5Ki"), 1536n);
        assert.throws(() => v.quantityBytes("lots"), /not a quantity: lots/);
    });

    it("DNS labels, subdomains, host names and label values", () => {
        accepts(v.dnsLabel, ["a", "nsip", "a-b", "0a", "a".repeat(63)]);
        rejects(v.dnsLabel, ["", "-a", "a-", "A", "a_b", "a.b", "a".repeat(64)]);
        accepts(v.dnsSubdomain, ["gp3", "gp3.encrypted", "a.b.c"]);
        rejects(v.dnsSubdomain, ["", ".a", "a.", "a..b", "A.b", `${"a".repeat(63)}.`.repeat(4) + "a"]);
        accepts(v.hostName, ["nsip.example.com", "a.b", "x.io"]);
        rejects(v.hostName, ["localhost", "nsip.example.com.", ".nsip.example.com", "1.2.3.4", "nsip_.example.com", "https://nsip.example.com", "nsip.example.com/"]);
        accepts(v.labelValue, ["0.1.0", "v1", "a", "1.2.3-rc_1", "a".repeat(63)]);
        rejects(v.labelValue, ["", "-1", "1-", ".1", "1.", "1+2", "a".repeat(64)]);
    });

    it("IPv4 CIDRs: octets, prefix, leading zeros and host bits", () => {
        accepts(v.ipv4Cidr, ["0.0.0.0/0", "10.0.0.0/8", "255.255.255.255/32", "198.51.100.0/24"]);
        rejects(v.ipv4Cidr, ["256.0.0.0/8", "10.0.0.0/33", "10.0.0.0", "10.0.0/8", "010.0.0.0/8", "10.0.0.0/08", "x10.0.0.0/8", "10.0.0.0/8x", "10.0.0.1/8", "10.0.0.0/"]);
        assert.match(v.ipv4Cidr("10.0.0.1/8")!, /network address is 10\.0\.0\.0\/8/);
    });

    it("VPC CIDRs: private, /16 to the subnet plan's smallest", () => {
        accepts(v.vpcCidr, ["10.40.0.0/16", "172.16.0.0/16", "192.168.10.0/24", "172.31.0.0/16"]);
        rejects(v.vpcCidr, ["10.0.0.0/15", "10.40.0.0/25", "172.32.0.0/16", "192.169.0.0/16", "11.0.0.0/16", "100.64.0.0/16"]);
        assert.equal(v.VPC_PREFIX.max, 24);
    });

    it("public access CIDRs: public ranges only, 0.0.0.0/0 allowed", () => {
        accepts(v.publicAccessCidr, ["0.0.0.0/0", "203.0.113.0/24", "198.51.100.7/32", "172.32.0.0/16", "1.0.0.0/8"]);
        rejects(v.publicAccessCidr, ["10.0.0.0/8", "172.20.0.0/16", "192.168.1.1/32", "127.0.0.1/32", "169.254.0.0/16", "100.64.0.0/10", "224.0.0.0/4", "8.0.0.0/4"]);
    });

    it("cron: ranges per field, names, steps, lists and descriptors as the CronJob controller parses them", () => {
        accepts(v.cronSchedule, ["0 3 * * *", "59 23 31 12 6", "*/15 0-6,22 1-7 JAN-mar sun", "0 0 ? * MON-FRI", "5/10 * * * *", "@daily", "@hourly", " 0 3 * * * "]);
        rejects(v.cronSchedule, ["60 3 * * *", "0 24 * * *", "0 3 0 * *", "0 3 32 * *", "0 3 * 0 *", "0 3 * 13 *", "0 3 * * 7", "0 3 * * *  *", "0 3 * *", "", "@every 1h", "@reboot", "*/0 * * * *", "5-1 * * * *", "1-2-3 * * * *", "a * * * *", "0 3 * FOO *", "TZ=UTC 0 3 * * *", "0,,1 * * * *"]);
    });

    it("nginx sizes: k and m suffixes, 1k to 1024m", () => {
        accepts(v.nginxSize, ["1k", "1024", "11m", "1024m"]);
        rejects(v.nginxSize, ["1023", "1025m", "11mb", "11M", "11g", "m", "1.5m", " 11m", "11m "]);
        assert.equal(v.nginxSizeBytes("11m"), 11 * 2 ** 20);
        assert.equal(v.nginxSizeBytes("2k"), 2048);
    });

    it("Redis sizes: powers of 1000 for k/m/g and 1024 for kb/mb/gb, 1mb to 1024gb", () => {
        assert.equal(v.redisMemoryBytes("1k"), 1000);
        assert.equal(v.redisMemoryBytes("1kb"), 1024);
        assert.equal(v.redisMemoryBytes("2m"), 2e6);
        assert.equal(v.redisMemoryBytes("2mb"), 2 * 2 ** 20);
        assert.equal(v.redisMemoryBytes("1g"), 1e9);
        assert.equal(v.redisMemoryBytes("1gb"), 2 ** 30);
        assert.equal(v.redisMemoryBytes("5b"), 5);
        accepts(v.redisMemory, ["1mb", "256mb", "1048576", "1024gb"]);
        rejects(v.redisMemory, ["1048575", "1m", "1025gb", "256Mi", "256MB", "0", "mb", " 256mb"]);
    });

    it("registry servers: host[:port], no scheme or path", () => {
        accepts(v.registryServer, ["registry.example.com", "localhost:5000", "r1", "10.0.0.1:443", "a-b.c:65535"]);
        rejects(v.registryServer, ["https://registry.example.com", "registry.example.com/", "registry.example.com/team", "-r.example.com", "r.example.com-", "R.example.com", "r.example.com:0", "r.example.com:65536", "r.example.com:", ""]);
        assert.match(v.registryServer("https://r.example.com")!, /drop the scheme$/);
        assert.match(v.registryServer("r.example.com:0")!, /port must be 1-65535$/);
    });

    it("repository prefixes: distribution path components", () => {
        accepts(v.repositoryPrefix, ["nsip", "team/nsip", "a.b/c_d/e__f/g--h"]);
        rejects(v.repositoryPrefix, ["", "/nsip", "nsip/", "team//nsip", "Team", ".nsip", "nsip.", "a___b", "a._b"]);
    });

    it("CORS origins: exactly what browsers send", () => {
        accepts(v.corsOrigin, ["https://app.example.com", "http://localhost:3000", "https://app.example.com:8443"]);
        rejects(v.corsOrigin, ["https://app.example.com/", "https://app.example.com/ui", "https://App.example.com", "https://app.example.com:443", "ftp://app.example.com", "app.example.com", "*", "https://app.example.com?x=1", "https://user@app.example.com"]);
    });

    it("http(s) URLs", () => {
        accepts(v.httpUrl, ["https://github.com/team/nsip", "http://git.example.com/nsip.git"]);
        rejects(v.httpUrl, ["git@github.com:team/nsip.git", "ftp://example.com/x", "github.com/team/nsip", "file:///tmp/x"]);
    });

    it("AWS regions, partitions and ARNs", () => {
        accepts(v.awsRegion, ["eu-west-1", "us-gov-west-1", "cn-north-1"]);
        rejects(v.awsRegion, ["eu-west-9", "EU-WEST-1", "eu-west-1 ", "global"]);
        assert.deepEqual(
            ["us-east-1", "cn-north-1", "us-gov-east-1", "us-iso-east-1", "us-isob-east-1", "us-isof-south-1", "eu-isoe-west-1", "eusc-de-east-1"].map(v.partitionOf),
            ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-f", "aws-iso-e", "aws-eusc"],
        );
        const uuid = "00000000-0000-4000-8000-000000000000";
        accepts(v.acmCertificateArn, [`arn:aws:acm:eu-west-1:123456789012:certificate/${uuid}`, `arn:aws-cn:acm:cn-north-1:123456789012:certificate/${uuid}`]);
        rejects(v.acmCertificateArn, [
            `xarn:aws:acm:eu-west-1:123456789012:certificate/${uuid}`,
            `arn:aws:acm:eu-west-1:123456789012:certificate/${uuid}x`,
            `arn:aws:acm:eu-west-9:123456789012:certificate/${uuid}`,
            `arn:aws-cn:acm:eu-west-1:123456789012:certificate/${uuid}`,
            `arn:aws:acm:eu-west-1:1234567890123:certificate/${uuid}`,
            `arn:aws:acm:eu-west-1:123456789012:certificate/not-a-uuid`,
        ]);
        assert.deepEqual(v.parseAcmArn(`arn:aws:acm:eu-west-1:123456789012:certificate/${uuid}`), { partition: "aws", region: "eu-west-1" });
        accepts(v.iamPrincipalArn, ["arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:user/ci", "arn:aws:iam::123456789012:role/team/ops/admin", "arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f-g"]);
        rejects(v.iamPrincipalArn, [
            "xarn:aws:iam::123456789012:role/admin",
            "arn:aws:iam::123456789012:role/admin!",
            "arn:aws:iam::123456789012:group/admin",
            "arn:aws:iam:eu-west-1:123456789012:role/admin",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:roleadmin",
            `arn:aws:iam::123456789012:role/${"a".repeat(65)}`,
            "arn:aws:sts::123456789012:assumed-role/admin/session",
        ]);
        accepts(v.instanceType, ["m6i.large", "c7gn.16xlarge", "u-6tb1.metal", "t3.micro"]);
        rejects(v.instanceType, ["m6i", ".large", "m6i.", "M6i.large", "6m.large", "m6i large"]);
    });
});
