import * as assert from "assert";
import { parse } from "yaml";
import { cidrSubnet, parseCidr } from "../components/cluster/cidr";
import { clientCertKubeconfig, eksKubeconfig } from "../components/cluster/kubeconfig";
import { k3sRegistriesYaml } from "../components/cluster/local";
import { subnetPlan } from "../components/cluster/vpc";

describe("cluster helpers: CIDR plan", () => {
    it("computes subnets like Terraform's cidrsubnet", () => {
        assert.strictEqual(cidrSubnet("10.0.0.0/16", 3, 0), "10.0.0.0/19");
        assert.strictEqual(cidrSubnet("10.0.0.0/16", 3, 2), "10.0.64.0/19");
        assert.strictEqual(cidrSubnet("10.0.0.0/16", 4, 8), "10.0.128.0/20");
        assert.strictEqual(cidrSubnet("172.16.0.0/12", 8, 255), "172.31.240.0/20");
        assert.strictEqual(cidrSubnet("192.168.1.0/24", 2, 3), "192.168.1.192/26");
    });

    it("rejects malformed CIDRs, host bits, and network numbers out of range", () => {
        assert.throws(() => parseCidr("10.0.0/16"), /not an IPv4 CIDR/);
        assert.throws(() => parseCidr("10.0.0.256/16"), /not an IPv4 CIDR/);
        assert.throws(() => parseCidr("10.0.1.0/16"), /host bits/);
        assert.throws(() => cidrSubnet("10.0.0.0/16", 3, 8), /no network number 8/);
        assert.throws(() => cidrSubnet("10.0.0.0/30", 4, 0), /cannot add 4 bits/);
    });

    it("plans one private /19 and one public /20 per AZ, disjoint, for 2 to 4 AZs", () => {
        assert.deepStrictEqual(subnetPlan("10.20.0.0/16", 3), {
            privateCidrs: ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"],
            publicCidrs: ["10.20.128.0/20", "10.20.144.0/20", "10.20.160.0/20"],
        });
        const four = subnetPlan("10.0.0.0/16", 4);
        assert.strictEqual(four.privateCidrs[3], "10.0.96.0/19", "the last private subnet ends where the public half starts");
        assert.throws(() => subnetPlan("10.0.0.0/16", 1), /from 2 to 4/);
        assert.throws(() => subnetPlan("10.0.0.0/16", 5), /from 2 to 4/);
        assert.throws(() => subnetPlan("10.0.0.0/26", 2), /too small/);
    });
});

describe("cluster helpers: kubeconfig renderers", () => {
    it("renders an EKS kubeconfig whose user runs aws eks get-token for the cluster and region", () => {
        const text = eksKubeconfig({ name: "nsip-prod", clusterName: "nsip-prod", server: "https://x.eks.amazonaws.com", certificateAuthorityData: "Q0E=", region: "eu-west-1" });
        const config = parse(text);
        assert.strictEqual(config.kind, "Config");
        assert.strictEqual(config["current-context"], "nsip-prod");
        assert.deepStrictEqual(config.contexts, [{ name: "nsip-prod", context: { cluster: "nsip-prod", user: "nsip-prod" } }]);
        assert.deepStrictEqual(config.users[0].user.exec, {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", "nsip-prod", "--output", "json", "--region", "eu-west-1"],
            interactiveMode: "Never",
        });
        assert.strictEqual(text, eksKubeconfig({ name: "nsip-prod", clusterName: "nsip-prod", server: "https://x.eks.amazonaws.com", certificateAuthorityData: "Q0E=", region: "eu-west-1" }), "deterministic");
    });

    it("renders a client-certificate kubeconfig with base64 PEM data", () => {
        const config = parse(clientCertKubeconfig({ name: "dev", server: "https://127.0.0.1:6550", caCertPem: "CA", clientCertPem: "CERT", clientKeyPem: "KEY" }));
        assert.deepStrictEqual(config.clusters[0].cluster, { server: "https://127.0.0.1:6550", "certificate-authority-data": Buffer.from("CA").toString("base64") });
        assert.deepStrictEqual(config.users[0].user, {
            "client-certificate-data": Buffer.from("CERT").toString("base64"),
            "client-key-data": Buffer.from("KEY").toString("base64"),
        });
    });

    it("renders the k3s registries.yaml mirror for the pushed-to host", () => {
        assert.deepStrictEqual(parse(k3sRegistriesYaml(5001, "nsip-dev-registry")), {
            mirrors: { "localhost:5001": { endpoint: ["http://nsip-dev-registry:5000"] } },
        });
    });
});
