/** A program that registers nothing: rendering it measures the render's fixed cost (Node, tsx, SDK, config). */
export = async function empty(): Promise<Record<string, unknown>> {
    return {};
};
