import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../src/config.js";
import { CursorCodec } from "../src/cursor.js";
import { normaliseMediaType, sniffImageType } from "../src/images.js";
import { makePng } from "./support/png.js";

const minimalEnv = {
  PGHOST: "db",
  PGUSER: "nsip",
  PGDATABASE: "nsip",
  REDIS_HOST: "cache",
  ANALYZER_URL: "http://analyzer:5000/",
  JWT_SECRET: "0123456789abcdef0123456789abcdef",
};

describe("config", () => {
  it("applies the CONTRACT's defaults", () => {
    const config = loadConfig(minimalEnv);
    assert.equal(config.PORT, 3000);
    assert.equal(config.METRICS_PORT, 9100);
    assert.equal(config.PGPORT, 5432);
    assert.equal(config.PG_POOL_MIN, 2);
    assert.equal(config.PG_POOL_MAX, 20);
    assert.equal(config.REDIS_PORT, 6379);
    assert.equal(config.CACHE_TTL_SECONDS, 3600);
    assert.equal(config.ANALYZER_URL, "http://analyzer:5000");
    assert.equal(config.ANALYZER_TIMEOUT_MS, 10_000);
    assert.equal(config.MAX_UPLOAD_BYTES, 10_485_760);
    assert.deepEqual(config.CORS_ORIGINS, []);
    assert.equal(config.RATE_LIMIT_PER_MINUTE, 120);
    assert.equal(config.SHUTDOWN_TIMEOUT_MS, 20_000);
    assert.equal(config.LOG_LEVEL, "info");
    assert.equal(config.REDIS_PASSWORD, undefined);
  });

  it("treats empty variables as unset and splits CORS_ORIGINS", () => {
    const config = loadConfig({ ...minimalEnv, PORT: "", REDIS_PASSWORD: "", CORS_ORIGINS: " https://a.test ,,https://b.test " });
    assert.equal(config.PORT, 3000);
    assert.equal(config.REDIS_PASSWORD, undefined);
    assert.deepEqual(config.CORS_ORIGINS, ["https://a.test", "https://b.test"]);
  });

  it("throws a ConfigError naming each bad variable", () => {
    assert.throws(
      () => loadConfig({ ...minimalEnv, METRICS_PORT: "70000", LOG_LEVEL: "loud", MAX_UPLOAD_BYTES: "-5", PGDATABASE: "" }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /METRICS_PORT: must be a port number/);
        assert.match(error.message, /LOG_LEVEL: /);
        assert.match(error.message, /MAX_UPLOAD_BYTES: must be a positive integer/);
        assert.match(error.message, /PGDATABASE: is required/);
        return true;
      },
    );
  });
});

describe("image sniffing", () => {
  it("recognises PNG, JPEG, GIF and WebP by their leading bytes only", () => {
    assert.equal(sniffImageType(makePng(2, 2)), "image/png");
    assert.equal(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xdb])), "image/jpeg");
    assert.equal(sniffImageType(Buffer.from("GIF87a......")), "image/gif");
    assert.equal(sniffImageType(Buffer.from("RIFF\0\0\0\0WEBPVP8L")), "image/webp");
    assert.equal(sniffImageType(Buffer.from("RIFF\0\0\0\0WAVEfmt ")), undefined);
    assert.equal(sniffImageType(Buffer.from("\x89PN")), undefined);
    assert.equal(sniffImageType(Buffer.from("<svg xmlns=...>")), undefined);
    assert.equal(sniffImageType(Buffer.alloc(0)), undefined);
  });

  it("normalises declared media types", () => {
    assert.equal(normaliseMediaType("Image/PNG; charset=binary"), "image/png");
    assert.equal(normaliseMediaType("image/jpg"), "image/jpeg");
    assert.equal(normaliseMediaType(""), "");
  });
});

describe("pagination cursors", () => {
  const codec = new CursorCodec("a-secret-of-at-least-thirty-two-chars!!");
  const position = { createdAt: "2026-01-02T03:04:05.678Z", id: "0b4a5a39-6a0e-4f0e-9a57-3f3f2a1b8c7d" };

  it("round-trips a position through a compact HS256 JWT", async () => {
    const cursor = await codec.encode(position);
    assert.equal(JSON.parse(Buffer.from(cursor.split(".")[0]!, "base64url").toString()).alg, "HS256");
    assert.deepEqual(await codec.decode(cursor), position);
  });

  it("rejects a cursor signed with another key", async () => {
    const other = await new CursorCodec("another-secret-of-at-least-thirty-two").encode(position);
    await assert.rejects(codec.decode(other), { status: 400, code: "INVALID_CURSOR" });
  });
});
