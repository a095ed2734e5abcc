import { validate, ValidationSeverity, type ValidatorSettings } from "dockerfile-utils";

// The project's own Dockerfile rules (issue 3, item 4), as pure functions over the file's text, plus the
// npm linter (dockerfile-utils) with every rule it has turned into an error. Each finding names its line.

export interface Finding {
    line: number; // 1-based
    message: string;
}

export interface Instruction {
    keyword: string; // upper case
    args: string; // continuation lines joined, heredoc bodies left out
    line: number; // 1-based line where the instruction starts
}

const HEREDOC = /<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g;

/** Splits a Dockerfile into instructions the way the builder does (directives, comments, continuations, heredocs). */
export function parseDockerfile(content: string): Instruction[] {
    const lines = content.split(/\r?\n/);
    let escape = "\\";
    let index = 0;
    for (; index < lines.length; index++) {
        const directive = /^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(lines[index]!);
        if (!directive) break;
        if (directive[1]!.toLowerCase() === "escape") escape = directive[2]!;
    }
    const instructions: Instruction[] = [];
    while (index < lines.length) {
        const text = lines[index]!;
        if (text.trim() === "" || text.trimStart().startsWith("#")) {
            index++;
            continue;
        }
        const line = index + 1;
        let logical = "";
        let current = text;
        for (;;) {
            const trimmed = current.replace(/\s+$/, "");
            if (!trimmed.endsWith(escape)) {
                logical += current;
                break;
            }
            logical += trimmed.slice(0, -escape.length);
            index++;
            while (index < lines.length && lines[index]!.trimStart().startsWith("#")) index++;
            if (index >= lines.length) break;
            current = lines[index]!;
        }
        index++;
        const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(logical)!;
        const keyword = match[1]!.toUpperCase();
        const args = match[2]!.trim();
        instructions.push({ keyword, args, line });
        if (["RUN", "COPY", "ADD"].includes(keyword)) {
            for (const heredoc of args.matchAll(HEREDOC)) {
                const word = heredoc[2]!;
                while (index < lines.length && lines[index]!.trim() !== word) index++;
                index++;
            }
        }
    }
    return instructions;
}

/** The instructions from the last FROM to the end: what the image is made of. */
export function finalStage(instructions: Instruction[]): Instruction[] {
    const lastFrom = instructions.map((i) => i.keyword).lastIndexOf("FROM");
    return lastFrom < 0 ? [] : instructions.slice(lastFrom);
}

/** Splits on whitespace outside quotes and removes the quotes (enough for ARG, LABEL and FROM). */
function words(text: string): string[] {
    const result: string[] = [];
    let word = "";
    let quote: string | null = null;
    let started = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i]!;
        if (quote) {
            if (c === quote) quote = null;
            else if (c === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
            else word += c;
        } else if (c === '"' || c === "'") {
            quote = c;
            started = true;
        } else if (/\s/.test(c)) {
            if (started) result.push(word);
            word = "";
            started = false;
        } else {
            word += c;
            started = true;
        }
    }
    if (started) result.push(word);
    return result;
}

function keyValues(args: string): Map<string, string> {
    const tokens = words(args);
    const pairs = new Map<string, string>();
    if (tokens.length > 0 && !tokens[0]!.includes("=")) {
        pairs.set(tokens[0]!, tokens.slice(1).join(" ")); // legacy `LABEL key value`
        return pairs;
    }
    for (const token of tokens) {
        const eq = token.indexOf("=");
        if (eq > 0) pairs.set(token.slice(0, eq), token.slice(eq + 1));
        else pairs.set(token, "");
    }
    return pairs;
}

function substitute(text: string, values: Map<string, string>): string | null {
    let unresolved = false;
    const result = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, fallback, bare) => {
        const name = (braced ?? bare) as string;
        const value = values.get(name) || (fallback as string | undefined);
        if (value === undefined || value === "") unresolved = true;
        return value ?? "";
    });
    return unresolved ? null : result;
}

interface FromParts {
    image: string;
    stage: string | null;
}

function fromParts(args: string): FromParts {
    const tokens = words(args).filter((token) => !token.startsWith("--"));
    const asIndex = tokens.findIndex((token) => token.toLowerCase() === "as");
    return { image: tokens[0] ?? "", stage: asIndex >= 0 ? (tokens[asIndex + 1] ?? null) : null };
}

export function checkMultiStage(instructions: Instruction[]): Finding[] {
    const froms = instructions.filter((i) => i.keyword === "FROM");
    if (froms.length >= 2) return [];
    return [{ line: froms[0]?.line ?? 1, message: `multi-stage build expected (>= 2 FROM), found ${froms.length}` }];
}

// An exact release: major.minor.patch, optionally followed by a variant (3.11.17-slim-bookworm, 1.29.8-alpine).
const EXACT_TAG = /^v?\d+\.\d+\.\d+(?:[-_.+][0-9A-Za-z_.-]+)?$/;

export function checkPinnedBaseImages(instructions: Instruction[]): Finding[] {
    const findings: Finding[] = [];
    const globalArgs = new Map<string, string>();
    const stages = new Set<string>();
    let seenFrom = false;
    for (const instruction of instructions) {
        if (instruction.keyword === "ARG" && !seenFrom) {
            for (const [name, value] of keyValues(instruction.args)) globalArgs.set(name, value);
        }
        if (instruction.keyword !== "FROM") continue;
        seenFrom = true;
        const { image: written, stage } = fromParts(instruction.args);
        const image = substitute(written, globalArgs);
        const report = (message: string) => findings.push({ line: instruction.line, message: `FROM ${written}: ${message}` });
        const isEarlierStage = image !== null && stages.has(image.toLowerCase());
        if (stage) stages.add(stage.toLowerCase());
        if (image === null) {
            report("uses a build argument without a default, so the base image is not pinned");
            continue;
        }
        if (isEarlierStage || image.toLowerCase() === "scratch") continue;
        const [name, digest] = image.split("@", 2) as [string, string | undefined];
        const lastSlash = name.lastIndexOf("/");
        const colon = name.lastIndexOf(":");
        const tag = colon > lastSlash ? name.slice(colon + 1) : null;
        if (tag === null) report("has no tag (resolves to latest)");
        else if (tag === "latest") report("uses the moving tag latest");
        else if (!EXACT_TAG.test(tag) && !digest) report(`tag ${tag} is not an exact version (major.minor.patch) and has no digest`);
        if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) report(`digest ${digest} is not a sha256 digest`);
    }
    return findings;
}

export function checkNonRootUser(instructions: Instruction[]): Finding[] {
    const stage = finalStage(instructions);
    if (stage.length === 0) return [{ line: 1, message: "no FROM" }];
    const users = stage.filter((i) => i.keyword === "USER");
    const last = users[users.length - 1];
    if (!last) return [{ line: stage[0]!.line, message: "final stage sets no USER (runs as the base image's user)" }];
    const ids = /^(\d+):(\d+)$/.exec(last.args.trim());
    if (!ids) return [{ line: last.line, message: `USER ${last.args} is not a numeric uid:gid` }];
    if (Number(ids[1]) === 0 || Number(ids[2]) === 0) return [{ line: last.line, message: `USER ${last.args} is root` }];
    return [];
}

export function checkHealthcheck(instructions: Instruction[]): Finding[] {
    const stage = finalStage(instructions);
    const checks = stage.filter((i) => i.keyword === "HEALTHCHECK");
    const last = checks[checks.length - 1];
    if (!last) return [{ line: stage[0]?.line ?? 1, message: "final stage has no HEALTHCHECK" }];
    if (/^none$/i.test(last.args.trim())) return [{ line: last.line, message: "HEALTHCHECK NONE disables the health check" }];
    if (!/(^|\s)CMD(\s|$)/i.test(last.args)) return [{ line: last.line, message: "HEALTHCHECK has no CMD" }];
    return [];
}

export const OCI_BUILD_ARG_LABELS = ["version", "revision", "source"].map((key) => `org.opencontainers.image.${key}`);

export function checkOciLabels(instructions: Instruction[]): Finding[] {
    const stage = finalStage(instructions);
    const stageArgs = new Set<string>();
    const labels = new Map<string, { value: string; line: number; argsInScope: Set<string> }>();
    for (const instruction of stage) {
        if (instruction.keyword === "ARG") for (const name of keyValues(instruction.args).keys()) stageArgs.add(name);
        if (instruction.keyword === "LABEL") {
            for (const [key, value] of keyValues(instruction.args)) {
                labels.set(key, { value, line: instruction.line, argsInScope: new Set(stageArgs) });
            }
        }
    }
    const findings: Finding[] = [];
    for (const key of OCI_BUILD_ARG_LABELS) {
        const label = labels.get(key);
        if (!label) {
            findings.push({ line: stage[0]?.line ?? 1, message: `final stage has no LABEL ${key}` });
            continue;
        }
        const referenced = [...label.value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
        if (!referenced.some((name) => label.argsInScope.has(name))) {
            findings.push({
                line: label.line,
                message: `LABEL ${key}=${label.value} does not come from a build ARG declared in the final stage`,
            });
        }
    }
    return findings;
}

const STRICT_LINTER: ValidatorSettings = {
    deprecatedMaintainer: ValidationSeverity.ERROR,
    directiveCasing: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
    instructionCasing: ValidationSeverity.ERROR,
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
    instructionWorkdirRelative: ValidationSeverity.ERROR,
};

/** dockerfile-utils' validator with every configurable rule raised to an error; any diagnostic is a finding. */
export function lint(content: string): Finding[] {
    return validate(content, STRICT_LINTER).map((diagnostic) => ({
        line: diagnostic.range.start.line + 1,
        message: `dockerfile-utils: ${diagnostic.message}`,
    }));
}

export function formatFindings(file: string, findings: Finding[]): string[] {
    return findings.map((finding) => `${file}:${finding.line}: ${finding.message}`);
}
