import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BuildContextError, resolveBuildContext } from "../components/images/build-context";

describe("image build contexts", () => {
    let apps: string;
    const write = (file: string, content: string) => {
        fs.mkdirSync(path.dirname(path.join(apps, file)), { recursive: true });
        fs.writeFileSync(path.join(apps, file), content);
    };
    beforeEach(() => {
        apps = fs.mkdtempSync(path.join(os.tmpdir(), "nsip-apps-"));
        write("api/Dockerfile", "FROM node:20.20.2-alpine3.23\n");
        write("api/.dockerignore", "node_modules\ndist\n*.md\nDockerfile\n");
        write("api/src/server.ts", "console.log(1)\n");
    });
    afterEach(() => fs.rmSync(apps, { recursive: true, force: true }));

    it("names the missing build context", () => {
        assert.throws(() => resolveBuildContext(apps, "analyzer"), (e: Error) => e instanceof BuildContextError && e.message.includes(path.join(apps, "analyzer")));
    });

    it("names the missing Dockerfile", () => {
        fs.rmSync(path.join(apps, "api/Dockerfile"));
        assert.throws(() => resolveBuildContext(apps, "api"), (e: Error) => e instanceof BuildContextError && e.message.includes(path.join(apps, "api", "Dockerfile")));
    });

    it("the tag is stable for the same content and changes with any file Docker would send", () => {
        const first = resolveBuildContext(apps, "api").contentTag;
        assert.match(first, /^[0-9a-f]{16}$/);
        assert.equal(resolveBuildContext(apps, "api").contentTag, first);
        write("api/src/server.ts", "console.log(2)\n");
        assert.notEqual(resolveBuildContext(apps, "api").contentTag, first);
    });

    it("ignored files do not change the tag; the Dockerfile always does, even when ignored", () => {
        const first = resolveBuildContext(apps, "api").contentTag;
        write("api/README.md", "docs\n");
        write("api/dist/server.js", "built\n");
        write("api/node_modules/x/index.js", "dep\n");
        assert.equal(resolveBuildContext(apps, "api").contentTag, first);
        write("api/Dockerfile", "FROM node:20.20.2-alpine3.23\nUSER 10001:10001\n");
        assert.notEqual(resolveBuildContext(apps, "api").contentTag, first);
    });
});
