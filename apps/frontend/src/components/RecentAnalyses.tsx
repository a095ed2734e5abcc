import { useCallback, useEffect, useId, useState } from "react";
import { ApiError, type ApiClient } from "../api/client";
import type { Analysis } from "../api/types";
import { formatDateTime, formatPercent } from "../lib/format";

export const PAGE_SIZE = 10;

type ListState =
  | { kind: "loading"; items: Analysis[] }
  | { kind: "ready"; items: Analysis[]; nextCursor: string | null }
  | { kind: "error"; items: Analysis[]; nextCursor: string | null; message: string };

interface Props {
  api: ApiClient;
  /** Changing it reloads the first page (after an upload, the newest analysis belongs on top). */
  reloadKey: number;
  selectedId?: string;
  onOpen(id: string): void;
}

function errorMessage(error: unknown): string {
  return error instanceof ApiError ? error.message : "Loading the list failed unexpectedly.";
}

export function RecentAnalyses({ api, reloadKey, selectedId, onOpen }: Props) {
  const headingId = useId();
  const [state, setState] = useState<ListState>({ kind: "loading", items: [] });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setState({ kind: "loading", items: [] });
    api.listAnalyses({ limit: PAGE_SIZE }).then(
      (page) => current && setState({ kind: "ready", items: page.items, nextCursor: page.nextCursor }),
      (error: unknown) => current && setState({ kind: "error", items: [], nextCursor: null, message: errorMessage(error) }),
    );
    return () => {
      current = false;
    };
  }, [api, reloadKey, attempt]);

  const loadMore = useCallback(async () => {
    if (state.kind === "loading" || !state.nextCursor) return;
    const { items, nextCursor } = state;
    setState({ kind: "loading", items });
    try {
      const page = await api.listAnalyses({ limit: PAGE_SIZE, cursor: nextCursor });
      setState({ kind: "ready", items: [...items, ...page.items], nextCursor: page.nextCursor });
    } catch (error) {
      // Keep the cursor so "Load more" can retry the same page.
      setState({ kind: "error", items, nextCursor, message: errorMessage(error) });
    }
  }, [api, state]);

  const loading = state.kind === "loading";
  const nextCursor = state.kind === "loading" ? null : state.nextCursor;

  return (
    <section aria-labelledby={headingId} className="recent" aria-busy={loading}>
      <h2 id={headingId}>Recent analyses</h2>
      {state.items.length > 0 && (
        <ul aria-labelledby={headingId} className="recent-list">
          {state.items.map((analysis) => (
            <li key={analysis.id}>
              <button
                type="button"
                className="recent-item"
                aria-current={analysis.id === selectedId ? "true" : undefined}
                onClick={() => onOpen(analysis.id)}
              >
                <span className="recent-name">{analysis.filename}</span>
                <span className="recent-detail">
                  {formatPercent(analysis.result.backgroundRatio)} background ·{" "}
                  <time dateTime={analysis.createdAt}>{formatDateTime(analysis.createdAt)}</time>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {state.kind === "ready" && state.items.length === 0 && <p>No analyses yet. Upload an image to start.</p>}
      {loading && <p role="status">Loading analyses…</p>}
      {state.kind === "error" && (
        <p role="alert" className="error">
          {state.message}
        </p>
      )}
      {state.kind === "error" && state.items.length === 0 && (
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      )}
      {nextCursor && (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      )}
    </section>
  );
}
