import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
    checkHealthcheck,
    checkMultiStage,
    checkNonRootUser,
    checkOciLabels,
    checkPinnedBaseImages,
    formatFindings,
    lint,
    parseDockerfile,
    type Finding,
    type Instruction,
} from "./support/dockerfile-checks";

// Every apps/*/Dockerfile: the npm linter (dockerfile-utils) and the project's rules from issue 3, item 4.
// The second half feeds small bad Dockerfiles to the same checks to show that each one can fail.

const ROOT = path.resolve(__dirname, "..");
const APPS = path.join(ROOT, "apps");
const EXPECTED_APPS = ["analyzer", "api", "frontend"];

function appDockerfiles(): string[] {
    return fs
        .readdirSync(APPS, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(APPS, entry.name, "Dockerfile")))
        .map((entry) => path.join("apps", entry.name, "Dockerfile"))
        .sort();
}

function assertNoFindings(file: string, findings: Finding[]): void {
    assert.deepEqual(formatFindings(file, findings), [], `${file} breaks the rule`);
}

describe("Dockerfiles of the apps", function () {
    it("exist for api, analyzer and frontend", function () {
        const present = appDockerfiles().map((file) => path.basename(path.dirname(file)));
        for (const app of EXPECTED_APPS) {
            assert.ok(present.includes(app), `apps/${app}/Dockerfile is missing (found: ${present.join(", ") || "none"})`);
        }
    });

    for (const file of appDockerfiles()) {
        describe(file, function () {
            const content = fs.readFileSync(path.join(ROOT, file), "utf8");
            const instructions = parseDockerfile(content);

            it("passes the dockerfile-utils linter with every rule as an error", function () {
                assertNoFindings(file, lint(content));
            });
            it("is a multi-stage build", function () {
                assertNoFindings(file, checkMultiStage(instructions));
            });
            it("pins every base image to an exact tag (no latest, no bare major)", function () {
                assertNoFindings(file, checkPinnedBaseImages(instructions));
            });
            it("runs its final stage as a numeric non-root uid:gid", function () {
                assertNoFindings(file, checkNonRootUser(instructions));
            });
            it("declares a HEALTHCHECK", function () {
                assertNoFindings(file, checkHealthcheck(instructions));
            });
            it("labels org.opencontainers.image.{version,revision,source} from build args", function () {
                assertNoFindings(file, checkOciLabels(instructions));
            });
            it("has a .dockerignore beside it", function () {
                const ignore = path.join(path.dirname(file), ".dockerignore");
                assert.ok(fs.existsSync(path.join(ROOT, ignore)), `${ignore} is missing`);
            });
        });
    }
});

const GOOD = `# syntax=docker/dockerfile:1
ARG BASE=python:3.11.17-slim-bookworm
FROM \${BASE} AS build
RUN echo build > /out

FROM python:3.11.17-slim-bookworm@sha256:${"a".repeat(64)}
COPY --from=build /out /out
RUN <<EOF
echo "FROM alpine" is heredoc text, not an instruction
EOF
USER 10001:10001
HEALTHCHECK --interval=30s \\
    CMD ["python", "-c", "print(1)"]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.version="\${VERSION}" \\
      org.opencontainers.image.revision=$REVISION \\
      org.opencontainers.image.source="\${SOURCE}"
CMD ["python"]
`;

function findingsOf(check: (instructions: Instruction[]) => Finding[], content: string): Finding[] {
    return check(parseDockerfile(content));
}

describe("Dockerfile checks", function () {
    it("accept a Dockerfile that follows every rule", function () {
        assert.deepEqual(lint(GOOD), []);
        for (const check of [checkMultiStage, checkPinnedBaseImages, checkNonRootUser, checkHealthcheck, checkOciLabels]) {
            assert.deepEqual(findingsOf(check, GOOD), [], check.name);
        }
    });

    it("parse continuations, comments inside them, heredocs and the escape directive", function () {
        const parsed = parseDockerfile("# escape=`\nFROM a:1.2.3 AS x\nRUN one `\n# comment\n  two\nRUN <<-END\n\tFROM b\n\tEND\nUSER 1:1\n");
        assert.deepEqual(
            parsed.map((i) => [i.keyword, i.line]),
            [["FROM", 2], ["RUN", 3], ["RUN", 6], ["USER", 9]],
        );
        assert.equal(parsed[1]!.args, "one   two");
    });

    it("lint flags what dockerfile-utils finds, with its line", function () {
        const findings = lint("FROM node:20.19.5-alpine\nexpose 3000\nEXPOSE notaport\n");
        assert.ok(findings.some((f) => f.line === 2), JSON.stringify(findings)); // instruction casing
        assert.ok(findings.some((f) => f.line === 3), JSON.stringify(findings)); // invalid port
    });

    it("multi-stage rejects a single FROM", function () {
        assert.deepEqual(findingsOf(checkMultiStage, "FROM node:20.19.5\nUSER 1:1\n"), [
            { line: 1, message: "multi-stage build expected (>= 2 FROM), found 1" },
        ]);
    });

    for (const [reference, reason] of [
        ["node", "no tag"],
        ["node:latest", "latest"],
        ["node:20", "not an exact version"],
        ["node:20-alpine", "not an exact version"],
        ["python:3.11-slim", "not an exact version"],
        ["nginxinc/nginx-unprivileged:alpine", "not an exact version"],
        ["registry:5000/team/app", "no tag"],
        ["node:latest@sha256:" + "b".repeat(64), "latest"],
        ["node:20.1.1@sha256:short", "not a sha256 digest"],
    ] as const) {
        it(`pinning rejects FROM ${reference}`, function () {
            const findings = findingsOf(checkPinnedBaseImages, `FROM golang:1.22.5 AS build\nFROM ${reference}\n`);
            assert.equal(findings.length, 1, JSON.stringify(findings));
            assert.equal(findings[0]!.line, 2);
            assert.match(findings[0]!.message, new RegExp(reason));
        });
    }

    it("pinning resolves global ARGs and rejects one without a default", function () {
        assert.equal(findingsOf(checkPinnedBaseImages, "ARG IMAGE=node:20\nFROM $IMAGE\n")[0]!.line, 2);
        assert.match(findingsOf(checkPinnedBaseImages, "ARG IMAGE\nFROM ${IMAGE}\n")[0]!.message, /without a default/);
        assert.deepEqual(findingsOf(checkPinnedBaseImages, "ARG V=3.11.17\nFROM python:${V}-slim\n"), []);
    });

    it("pinning accepts earlier stages, scratch and digests", function () {
        const content = `FROM gcr.io/distroless/nodejs20-debian12:nonroot@sha256:${"c".repeat(64)} AS base\nFROM base AS app\nFROM scratch\n`;
        assert.deepEqual(findingsOf(checkPinnedBaseImages, content), []);
    });

    for (const [users, expected] of [
        ["", /sets no USER/],
        ["USER node", /not a numeric uid:gid/],
        ["USER 10001", /not a numeric uid:gid/],
        ["USER 0:0", /is root/],
        ["USER 10001:0", /is root/],
        ["USER 10001:10001\nUSER 0:0", /is root/],
    ] as const) {
        it(`non-root user rejects ${JSON.stringify(users || "no USER")}`, function () {
            const content = `FROM a:1.2.3 AS build\nUSER 1000:1000\nFROM b:1.2.3\n${users}\n`;
            const findings = findingsOf(checkNonRootUser, content);
            assert.equal(findings.length, 1);
            assert.match(findings[0]!.message, expected);
            assert.ok(findings[0]!.line >= 3, "the finding points into the final stage");
        });
    }

    it("healthcheck rejects a missing one, NONE, and one only in an earlier stage", function () {
        assert.match(findingsOf(checkHealthcheck, "FROM a:1.2.3\nFROM b:1.2.3\n")[0]!.message, /no HEALTHCHECK/);
        assert.deepEqual(findingsOf(checkHealthcheck, "FROM a:1.2.3\nHEALTHCHECK NONE\n"), [
            { line: 2, message: "HEALTHCHECK NONE disables the health check" },
        ]);
        const earlier = "FROM a:1.2.3 AS x\nHEALTHCHECK CMD true\nFROM b:1.2.3\n";
        assert.equal(findingsOf(checkHealthcheck, earlier)[0]!.line, 3);
    });

    it("OCI labels must exist and come from ARGs of the final stage", function () {
        const missing = findingsOf(checkOciLabels, 'FROM a:1.2.3 AS x\nFROM b:1.2.3\nLABEL org.opencontainers.image.version="1.0"\n');
        assert.deepEqual(
            missing.map((f) => f.message),
            [
                'LABEL org.opencontainers.image.version=1.0 does not come from a build ARG declared in the final stage',
                "final stage has no LABEL org.opencontainers.image.revision",
                "final stage has no LABEL org.opencontainers.image.source",
            ],
        );
        const outOfScope =
            "ARG VERSION=1\nARG REVISION=2\nARG SOURCE=3\nFROM a:1.2.3 AS x\nFROM b:1.2.3\n" +
            "LABEL org.opencontainers.image.version=$VERSION org.opencontainers.image.revision=${REVISION} org.opencontainers.image.source=$SOURCE\n";
        assert.equal(findingsOf(checkOciLabels, outOfScope).length, 3, "global ARGs are not visible in a stage unless redeclared");
    });
});
