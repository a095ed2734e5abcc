import * as pulumi from "@pulumi/pulumi";

/** Plain JSON: what every render file is made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const SECRET_PLACEHOLDER = "[secret]";
export const UNKNOWN_PLACEHOLDER = "[unknown]";

const { specialSigKey, specialSecretSig, specialResourceSig, specialAssetSig, specialArchiveSig, specialOutputValueSig, unknownValue } =
    pulumi.runtime;

export interface DecodeOptions {
    /** Absolute paths under this directory are written relative to it, so renders match across checkouts. */
    projectDir: string;
}

/**
 * Turns a property value as the SDK puts it on the wire (a protobuf Struct converted to JS: secrets,
 * resource references, assets and unknowns marked by signature keys) into plain, redacted JSON.
 * Secrets keep their shape (object keys, array lengths) but every leaf becomes "[secret]".
 */
export function decodeWireValue(value: unknown, options: DecodeOptions, inSecret = false): Json {
    if (value === unknownValue) {
        return UNKNOWN_PLACEHOLDER;
    }
    if (value === null || value === undefined) {
        return null;
    }
    if (typeof value === "string") {
        return inSecret ? SECRET_PLACEHOLDER : relativizePaths(value, options.projectDir);
    }
    if (typeof value === "number" || typeof value === "boolean") {
        return inSecret ? SECRET_PLACEHOLDER : value;
    }
    if (Array.isArray(value)) {
        return value.map((item) => decodeWireValue(item, options, inSecret));
    }
    if (typeof value !== "object") {
        throw new Error(`unexpected ${typeof value} in a resource property`);
    }
    const record = value as Record<string, unknown>;
    switch (record[specialSigKey]) {
        case undefined:
            return decodeObject(record, options, inSecret);
        case specialSecretSig:
            return decodeWireValue(record["value"], options, true);
        case specialResourceSig:
            return String(record["urn"]);
        case specialOutputValueSig:
            if (!("value" in record)) {
                return UNKNOWN_PLACEHOLDER;
            }
            return decodeWireValue(record["value"], options, inSecret || record["secret"] === true);
        case specialAssetSig:
            return { $asset: decodeObject(withoutSig(record), options, inSecret) };
        case specialArchiveSig:
            return { $archive: decodeObject(withoutSig(record), options, inSecret) };
        default:
            throw new Error(`unknown Pulumi signature ${String(record[specialSigKey])} in a resource property`);
    }
}

/** True when any part of a wire value is marked secret. */
export function containsSecret(value: unknown): boolean {
    if (value === null || typeof value !== "object") {
        return false;
    }
    if (Array.isArray(value)) {
        return value.some(containsSecret);
    }
    const record = value as Record<string, unknown>;
    if (record[specialSigKey] === specialSecretSig) {
        return true;
    }
    if (record[specialSigKey] === specialOutputValueSig && record["secret"] === true) {
        return true;
    }
    return Object.values(record).some(containsSecret);
}

function decodeObject(record: Record<string, unknown>, options: DecodeOptions, inSecret: boolean): JsonObject {
    const result: JsonObject = {};
    for (const key of Object.keys(record).sort()) {
        if (record[key] !== undefined) {
            result[key] = decodeWireValue(record[key], options, inSecret);
        }
    }
    return result;
}

function withoutSig(record: Record<string, unknown>): Record<string, unknown> {
    const { [specialSigKey]: _sig, ...rest } = record;
    return rest;
}

function relativizePaths(text: string, projectDir: string): string {
    if (text === projectDir) {
        return ".";
    }
    return text.split(`${projectDir}/`).join("");
}
