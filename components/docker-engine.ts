import * as http from "http";

/** Where the Docker provider and the docker CLI look when DOCKER_HOST is unset. */
export const DEFAULT_DOCKER_HOST = process.platform === "win32" ? "npipe:////./pipe/docker_engine" : "unix:///var/run/docker.sock";

/** How node's http reaches the engine for a DOCKER_HOST value, or why it cannot. */
export function engineEndpoint(dockerHost: string): { socketPath: string } | { host: string; port: number } {
    // npipe:////./pipe/docker_engine -> \\.\pipe\docker_engine (read as text: a URL would drop the "/./").
    if (dockerHost.startsWith("npipe:")) return { socketPath: dockerHost.slice("npipe:".length).replace(/^\/+/, "\\\\").replace(/\//g, "\\") };
    const url = new URL(dockerHost);
    switch (url.protocol) {
        case "unix:":
            return { socketPath: url.pathname };
        case "tcp:":
        case "http:":
            if (process.env.DOCKER_TLS_VERIFY) throw new Error("DOCKER_TLS_VERIFY is set: TLS client certificates are not supported here");
            return { host: url.hostname, port: Number(url.port || 2375) };
        default:
            throw new Error(`${url.protocol} is not a socket or plain TCP`);
    }
}

/** GET `path` from the Docker engine API at `dockerHost`; the body on HTTP 200, else a rejection. */
export async function dockerEngineGet(dockerHost: string, path: string): Promise<string> {
    const endpoint = engineEndpoint(dockerHost);
    return new Promise<string>((resolve, reject) => {
        const request = http.get({ ...endpoint, path, timeout: 10_000 }, (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (text += chunk));
            response.on("end", () => (response.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${response.statusCode}`))));
        });
        request.on("timeout", () => request.destroy(new Error("no answer in 10 s")));
        request.on("error", reject);
    });
}
