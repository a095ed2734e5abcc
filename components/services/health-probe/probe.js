// The health probe's program, run with `node -e` in the api image (Node 20: fetch, AbortSignal.timeout).
// GETs every URL of HEALTH_PROBE_TARGETS ({"<Service>": "<URL>"}) at once, each within HEALTH_PROBE_TIMEOUT_MS,
// without following redirects, and judges it as the kubelet judges an httpGet probe: 200-399 is healthy.
// The report ({"<Service>": {url, ok, status?, detail?, ms}}, one JSON line) goes to stdout and to RESULT_FILE
// (default /dev/termination-log, the container's termination message, at most 4096 bytes).
// Exit 0: every target healthy; 1: at least one is not (the report says which); 2: unusable targets, nothing probed.
"use strict";
const fs = require("fs");

const DETAIL_CHARS = 120;

function fail(message) {
    process.stderr.write(`health probe: ${message}\n`);
    process.exit(2);
}

function targetsFromEnv() {
    let targets;
    try {
        targets = JSON.parse(process.env.HEALTH_PROBE_TARGETS || "");
    } catch {
        fail('HEALTH_PROBE_TARGETS must be a JSON object {"<service>": "<http URL>"}');
    }
    if (targets === null || typeof targets !== "object" || Array.isArray(targets) || Object.keys(targets).length === 0) {
        fail('HEALTH_PROBE_TARGETS must be a non-empty JSON object {"<service>": "<http URL>"}');
    }
    for (const [service, url] of Object.entries(targets)) {
        let parsed;
        try {
            parsed = new URL(url);
        } catch {
            parsed = undefined;
        }
        if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
            fail(`HEALTH_PROBE_TARGETS.${service} must be an http(s) URL, not ${JSON.stringify(url)}`);
        }
    }
    return targets;
}

function timeoutFromEnv() {
    const raw = process.env.HEALTH_PROBE_TIMEOUT_MS || "5000";
    const ms = Number(raw);
    if (!Number.isInteger(ms) || ms <= 0) fail(`HEALTH_PROBE_TIMEOUT_MS must be a positive integer of milliseconds, not ${JSON.stringify(raw)}`);
    return ms;
}

const squeeze = (text) => text.replace(/\s+/g, " ").trim().slice(0, DETAIL_CHARS);

async function probe(url, timeoutMs) {
    const started = Date.now();
    try {
        const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
        const ok = response.status >= 200 && response.status < 400;
        const body = ok ? "" : squeeze(await response.text().catch(() => ""));
        return { url, ok, status: response.status, ...(body ? { detail: body } : {}), ms: Date.now() - started };
    } catch (error) {
        const cause = error && error.cause ? `: ${error.cause.code || error.cause.message || error.cause}` : "";
        const reason = error && error.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : `${(error && error.message) || error}${cause}`;
        return { url, ok: false, detail: squeeze(reason), ms: Date.now() - started };
    }
}

async function main() {
    const targets = targetsFromEnv();
    const timeoutMs = timeoutFromEnv();
    const services = Object.keys(targets).sort();
    const verdicts = await Promise.all(services.map((service) => probe(targets[service], timeoutMs)));
    const report = Object.fromEntries(services.map((service, index) => [service, verdicts[index]]));
    const line = JSON.stringify(report);
    process.stdout.write(`${line}\n`);
    fs.writeFileSync(process.env.RESULT_FILE || "/dev/termination-log", line);
    process.exit(verdicts.every((verdict) => verdict.ok) ? 0 : 1);
}

main().catch((error) => fail(String((error && error.stack) || error)));
