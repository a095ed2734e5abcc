import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * Certificates for the test control plane, made with the openssl CLI: one CA, the API server's
 * serving certificate, a client certificate per component (the identities RBAC's bootstrap policy
 * knows), and the service-account signing key. EC P-256 keys: fast to make, accepted everywhere.
 * Valid for two days: a test control plane never lives that long.
 */

export interface ClientIdentity {
    /** File stem inside the PKI directory. */
    file: string;
    commonName: string;
    organization?: string;
}

export interface Pki {
    dir: string;
    caCert: string;
    caKey: string;
    serverCert: string;
    serverKey: string;
    serviceAccountKey: string;
    serviceAccountPub: string;
    clients: Record<string, { cert: string; key: string }>;
}

const VALID_DAYS = "2";

export function createPki(dir: string, options: { serverIps: string[]; serverNames: string[]; clients: ClientIdentity[] }): Pki {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = (name: string) => path.join(dir, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const newKey = (name: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file(name));

    newKey("ca.key");
    openssl(
        "req", "-x509", "-new", "-key", file("ca.key"), "-out", file("ca.crt"), "-days", VALID_DAYS, "-subj", "/CN=nsip-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    );

    const sign = (stem: string, subject: string, extensions: string[]) => {
        newKey(`${stem}.key`);
        openssl("req", "-new", "-key", file(`${stem}.key`), "-out", file(`${stem}.csr`), "-subj", subject);
        fs.writeFileSync(file(`${stem}.ext`), extensions.join("\n") + "\n");
        openssl(
            "x509", "-req", "-in", file(`${stem}.csr`), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial",
            "-days", VALID_DAYS, "-out", file(`${stem}.crt`), "-extfile", file(`${stem}.ext`),
        );
        fs.rmSync(file(`${stem}.csr`));
        fs.rmSync(file(`${stem}.ext`));
        return { cert: file(`${stem}.crt`), key: file(`${stem}.key`) };
    };

    const altNames = [...options.serverIps.map((ip) => `IP:${ip}`), ...options.serverNames.map((name) => `DNS:${name}`)].join(",");
    const server = sign("apiserver", "/CN=kube-apiserver", [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${altNames}`,
    ]);

    const clients: Pki["clients"] = {};
    for (const client of options.clients) {
        const subject = `/CN=${client.commonName}${client.organization ? `/O=${client.organization}` : ""}`;
        clients[client.file] = sign(client.file, subject, [
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            "extendedKeyUsage=clientAuth",
        ]);
    }

    newKey("sa.key");
    openssl("pkey", "-in", file("sa.key"), "-pubout", "-out", file("sa.pub"));

    return {
        dir,
        caCert: file("ca.crt"),
        caKey: file("ca.key"),
        serverCert: server.cert,
        serverKey: server.key,
        serviceAccountKey: file("sa.key"),
        serviceAccountPub: file("sa.pub"),
        clients,
    };
}

/** A kubeconfig with the certificates inlined, so it stays valid wherever it is copied. */
export function kubeconfigYaml(options: { server: string; caCert: string; cert: string; key: string; user: string }): string {
    const b64 = (file: string) => fs.readFileSync(file).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "  - name: nsip-test",
        "    cluster:",
        `      server: ${options.server}`,
        `      certificate-authority-data: ${b64(options.caCert)}`,
        "users:",
        `  - name: ${options.user}`,
        "    user:",
        `      client-certificate-data: ${b64(options.cert)}`,
        `      client-key-data: ${b64(options.key)}`,
        "contexts:",
        "  - name: nsip-test",
        "    context:",
        "      cluster: nsip-test",
        `      user: ${options.user}`,
        "current-context: nsip-test",
        "",
    ].join("\n");
}
