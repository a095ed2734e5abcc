import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";

/** A stand-in Docker engine on a unix socket: answers GET <path> with the JSON `routes` give for it, else 404. */
export async function fakeDockerEngine(routes: (url: URL) => unknown): Promise<{ dockerHost: string; requests: string[]; close: () => Promise<void> }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-"));
    const socketPath = path.join(dir, "docker.sock");
    const requests: string[] = [];
    const server = http.createServer((request, response) => {
        requests.push(request.url ?? "");
        const body = routes(new URL(request.url ?? "/", "http://engine"));
        if (body === undefined) return void response.writeHead(404).end();
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return {
        dockerHost: `unix://${socketPath}`,
        requests,
        close: () => new Promise<void>((resolve) => server.close(() => (fs.rmSync(dir, { recursive: true, force: true }), resolve()))),
    };
}
