/**
 * Kubeconfig renderers. Pure functions over plain values, so they are called inside `pulumi.all(...).apply`
 * only once every value is known, and tests can feed them directly. The output is JSON, which is valid YAML
 * and accepted by kubectl and the Kubernetes provider; key order is fixed, so the text is deterministic.
 */

interface KubeconfigCluster {
    /** Name used for the cluster, user and context entries. */
    name: string;
    /** API server URL, e.g. `https://ABC.gr7.eu-west-1.eks.amazonaws.com`. */
    server: string;
    /** Base64 of the PEM CA bundle that signed the API server's certificate. */
    certificateAuthorityData: string;
}

function render(cluster: KubeconfigCluster, user: Record<string, unknown>): string {
    const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster.name, cluster: { server: cluster.server, "certificate-authority-data": cluster.certificateAuthorityData } }],
        users: [{ name: cluster.name, user }],
        contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: cluster.name } }],
        "current-context": cluster.name,
        preferences: {},
    };
    return JSON.stringify(config, null, 2);
}

/** EKS: short-lived tokens from `aws eks get-token` with whatever AWS credentials the caller has. */
export function eksKubeconfig(args: KubeconfigCluster & { clusterName: string; region?: string }): string {
    const tokenArgs = ["eks", "get-token", "--cluster-name", args.clusterName, "--output", "json"];
    if (args.region) {
        tokenArgs.push("--region", args.region);
    }
    return render(args, {
        exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: tokenArgs,
            interactiveMode: "Never",
        },
    });
}

/** Client-certificate authentication (the local k3s cluster's admin certificate). All PEM inputs are plain text. */
export function clientCertKubeconfig(args: { name: string; server: string; caCertPem: string; clientCertPem: string; clientKeyPem: string }): string {
    const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");
    return render(
        { name: args.name, server: args.server, certificateAuthorityData: b64(args.caCertPem) },
        { "client-certificate-data": b64(args.clientCertPem), "client-key-data": b64(args.clientKeyPem) },
    );
}
