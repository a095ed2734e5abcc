/** Plain-text output of `ops`: aligned tables, ages and sizes as people read them. */

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
    const line = (cells: readonly string[]) =>
        cells
            .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
            .join("  ")
            .trimEnd();
    return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** 42s, 5m, 3h12m, 2d4h: two units at most, like kubectl's AGE column. */
export function formatAge(milliseconds: number): string {
    if (!Number.isFinite(milliseconds)) {
        return "?";
    }
    const seconds = Math.max(0, Math.floor(milliseconds / 1000));
    if (seconds < 60) return `${seconds}s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}m`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
    const days = Math.floor(hours / 24);
    return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
}

/** 512 B, 1.5 KiB, 20.0 GiB. */
export function formatBytes(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Kubernetes quantities (10Gi, 500M, 1e3, 128974848) -> bytes. */
export function parseQuantity(quantity: string): number {
    const match = /^([0-9.]+)([KMGTPE]i?|[kmun]|e[0-9]+)?$/.exec(quantity.trim());
    if (match === null) {
        return Number.NaN;
    }
    const value = Number(match[1]);
    const suffix = match[2] ?? "";
    const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
    const decimal: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
    if (suffix.startsWith("e")) {
        return value * 10 ** Number(suffix.slice(1));
    }
    return value * (binary[suffix] ?? decimal[suffix] ?? Number.NaN);
}
