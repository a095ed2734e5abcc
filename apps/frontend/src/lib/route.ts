import { useCallback, useEffect, useState } from "react";

const ANALYSIS_PATH = /^\/analyses\/([^/]+)\/?$/;

/** The analysis id in a path like `/analyses/<id>`, which nginx's SPA fallback serves as index.html. */
export function analysisIdFromPath(pathname: string): string | undefined {
  const match = ANALYSIS_PATH.exec(pathname);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

export function analysisPath(id: string): string {
  return `/analyses/${encodeURIComponent(id)}`;
}

/** The current path, kept in step with history navigation (back/forward). */
export function usePath(): [string, (path: string) => void] {
  const [path, setPath] = useState(() => window.location.pathname);
  useEffect(() => {
    const onPopState = () => setPath(window.location.pathname);
    window.addEventListener("popstate", onPopState);
    return () => window.removeEventListener("popstate", onPopState);
  }, []);
  const navigate = useCallback((next: string) => {
    if (next !== window.location.pathname) window.history.pushState(null, "", next);
    setPath(next);
  }, []);
  return [path, navigate];
}
