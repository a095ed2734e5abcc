import * as assert from "assert";
import * as os from "os";
import * as path from "path";
import { engineEndpoint } from "../components/docker-engine";
import { dockerEnginePlatform, imagePlatform } from "../components/images/engine-platform";
import { fakeDockerEngine } from "./support/fake-docker-engine";

describe("images: build platform", () => {
    it("asks the engine behind DOCKER_HOST for its Os/Arch", async () => {
        for (const arch of ["arm64", "amd64"]) {
            const engine = await fakeDockerEngine((url) => (url.pathname === "/version" ? { Os: "linux", Arch: arch, Version: "28.5.1" } : undefined));
            try {
                assert.strictEqual(await dockerEnginePlatform(engine.dockerHost), `linux/${arch}`);
            } finally {
                await engine.close();
            }
        }
    });

    it("refuses an engine platform the images are not built for, naming the key to set", async () => {
        const engine = await fakeDockerEngine((url) => (url.pathname === "/version" ? { Os: "linux", Arch: "s390x" } : undefined));
        try {
            await assert.rejects(dockerEnginePlatform(engine.dockerHost), /runs linux\/s390x.*set nsip:images\.platform/);
        } finally {
            await engine.close();
        }
    });

    it("says which engine it could not reach and which key skips the question", async () => {
        const missing = `unix://${path.join(os.tmpdir(), "no-such-engine", "docker.sock")}`;
        await assert.rejects(dockerEnginePlatform(missing), (e: Error) => e.message.includes(missing) && e.message.includes("nsip:images.platform"));
        await assert.rejects(dockerEnginePlatform("ssh://me@build-box"), /ssh:\/\/me@build-box.*ssh: is not a socket or plain TCP.*nsip:images\.platform/);
    });

    it("maps DOCKER_HOST forms to sockets: unix, Windows named pipe, plain tcp", () => {
        assert.deepStrictEqual(engineEndpoint("unix:///Users/me/.colima/default/docker.sock"), { socketPath: "/Users/me/.colima/default/docker.sock" });
        assert.deepStrictEqual(engineEndpoint("npipe:////./pipe/docker_engine"), { socketPath: "\\\\.\\pipe\\docker_engine" });
        assert.deepStrictEqual(engineEndpoint("tcp://127.0.0.1:2375"), { host: "127.0.0.1", port: 2375 });
    });

    it("defaults to the engine's platform on the local cluster only; a set nsip:images.platform always wins", async () => {
        const arm = async () => "linux/arm64" as const;
        const unreachable = async (): Promise<never> => assert.fail("the engine is asked only for the local cluster without a set platform");
        assert.strictEqual(await imagePlatform(undefined, "local", arm), "linux/arm64");
        assert.strictEqual(await imagePlatform("linux/amd64", "local", unreachable), "linux/amd64");
        assert.strictEqual(await imagePlatform(undefined, "eks", unreachable), "linux/amd64");
        assert.strictEqual(await imagePlatform(undefined, "existing", unreachable), "linux/amd64");
    });
});
