/** redis.conf for the cache: AOF persistence, bounded memory, password from a mounted Secret file. */
export interface RedisConfArgs {
    maxmemory: string;
    maxmemoryPolicy: string;
    dataDir: string;
    /** File holding `requirepass <password>`, mounted from the Secret so the password never sits in argv or the ConfigMap. */
    authFile: string;
}

export function renderRedisConf(args: RedisConfArgs): string {
    return [
        "bind 0.0.0.0",
        "port 6379",
        "protected-mode yes",
        `dir ${args.dataDir}`,
        "appendonly yes",
        "appendfsync everysec",
        "save \"\"",
        `maxmemory ${args.maxmemory}`,
        `maxmemory-policy ${args.maxmemoryPolicy}`,
        "tcp-keepalive 60",
        "loglevel notice",
        `include ${args.authFile}`,
        "",
    ].join("\n");
}
