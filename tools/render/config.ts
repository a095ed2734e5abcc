import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

/** A problem with the files the render reads (not with the config values: the program judges those). */
export class RenderInputError extends Error {
    override name = "RenderInputError";
}

export interface ProjectInfo {
    name: string;
    projectDir: string;
    /** Where the Pulumi.<stack>.yaml files live (Pulumi.yaml `stackConfigDir`, else the project dir). */
    stackConfigDir: string;
    /** Project-level config defaults from Pulumi.yaml, already namespaced. */
    defaults: Record<string, unknown>;
}

/** What the Pulumi CLI would hand the program: every value a string, plus which keys are secret. */
export interface ResolvedConfig {
    values: Record<string, string>;
    secretKeys: string[];
}

export interface ConfigSources {
    stack: string;
    configFile?: string;
    /** Applied last, key by key, in the same value format as a `config:` map. */
    overrides?: Record<string, unknown>;
}

const DEFAULT_PROJECT_NAME = "nsip";
const SCHEMA_FIELDS = ["type", "description", "secret", "items", "default", "value"];

export function readProject(projectDir: string): ProjectInfo {
    const file = path.join(projectDir, "Pulumi.yaml");
    const doc = fs.existsSync(file) ? asMap(parseYamlFile(file), file) : {};
    const name = typeof doc["name"] === "string" ? doc["name"] : DEFAULT_PROJECT_NAME;
    const stackConfigDir = typeof doc["stackConfigDir"] === "string" ? path.resolve(projectDir, doc["stackConfigDir"]) : projectDir;
    const defaults: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(asMap(doc["config"] ?? {}, `${file} config`))) {
        const value = projectDefault(entry);
        if (value !== undefined) {
            defaults[key.includes(":") ? key : `${name}:${key}`] = value;
        }
    }
    return { name, projectDir, stackConfigDir, defaults };
}

export function listStacks(project: ProjectInfo): string[] {
    if (!fs.existsSync(project.stackConfigDir)) {
        return [];
    }
    return fs
        .readdirSync(project.stackConfigDir)
        .map((file) => /^Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/** Pulumi.yaml defaults, then Pulumi.<stack>.yaml, then --config-file, then overrides; each replaces whole keys. */
export function resolveConfig(project: ProjectInfo, sources: ConfigSources): ResolvedConfig {
    const stackFile = stackConfigFile(project, sources.stack);
    if (stackFile === undefined) {
        const known = listStacks(project);
        throw new RenderInputError(`unknown stack "${sources.stack}": no Pulumi.${sources.stack}.yaml (known stacks: ${known.join(", ") || "none"})`);
    }
    const layers: Record<string, unknown>[] = [project.defaults, readConfigMap(stackFile, project.name)];
    if (sources.configFile !== undefined) {
        layers.push(readConfigMap(path.resolve(sources.configFile), project.name));
    }
    if (sources.overrides !== undefined) {
        layers.push(namespaced(sources.overrides, "config overrides", project.name));
    }
    const merged: Record<string, unknown> = Object.assign({}, ...layers);
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const key of Object.keys(merged).sort()) {
        const { value, secret } = replaceSecure(merged[key], key);
        values[key] = typeof value === "string" ? value : isScalar(value) ? String(value) : JSON.stringify(value);
        if (secret) {
            secretKeys.push(key);
        }
    }
    return { values, secretKeys };
}

function stackConfigFile(project: ProjectInfo, stack: string): string | undefined {
    return [".yaml", ".yml"].map((ext) => path.join(project.stackConfigDir, `Pulumi.${stack}${ext}`)).find((file) => fs.existsSync(file));
}

function readConfigMap(file: string, projectName: string): Record<string, unknown> {
    if (!fs.existsSync(file)) {
        throw new RenderInputError(`config file not found: ${file}`);
    }
    const doc = asMap(parseYamlFile(file) ?? {}, file);
    return namespaced(asMap(doc["config"] ?? {}, `${file}: config`), file, projectName);
}

/** Stack files must use namespaced keys (`nsip:replicas`), as the Pulumi CLI requires. */
function namespaced(map: Record<string, unknown>, source: string, projectName: string): Record<string, unknown> {
    for (const key of Object.keys(map)) {
        if (!/^[^:]+:[^:]/.test(key)) {
            throw new RenderInputError(`${source}: config key "${key}" has no namespace (write ${projectName}:${key})`);
        }
    }
    return map;
}

/** `secure:` ciphertexts cannot be decrypted here: they become fixed, readable placeholders. */
function replaceSecure(value: unknown, key: string): { value: unknown; secret: boolean } {
    if (isSecure(value)) {
        return { value: `<secure:${key}>`, secret: true };
    }
    if (Array.isArray(value)) {
        const items = value.map((item, index) => replaceSecure(item, `${key}[${index}]`));
        return { value: items.map((item) => item.value), secret: items.some((item) => item.secret) };
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${key}.${k}`)] as const);
        return {
            value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
            secret: entries.some(([, v]) => v.secret),
        };
    }
    return { value, secret: false };
}

function isSecure(value: unknown): boolean {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** A Pulumi.yaml config entry is a plain default, `{ value: ... }`, or a schema that may carry `default`. */
function projectDefault(entry: unknown): unknown {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
        return entry;
    }
    const fields = entry as Record<string, unknown>;
    if (!Object.keys(fields).every((field) => SCHEMA_FIELDS.includes(field))) {
        return entry;
    }
    return "value" in fields ? fields["value"] : fields["default"];
}

function isScalar(value: unknown): value is string | number | boolean | null {
    return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function parseYamlFile(file: string): unknown {
    try {
        return parseYaml(fs.readFileSync(file, "utf8"));
    } catch (error) {
        throw new RenderInputError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
}

function asMap(value: unknown, what: string): Record<string, unknown> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new RenderInputError(`${what}: expected a map`);
    }
    return value as Record<string, unknown>;
}
