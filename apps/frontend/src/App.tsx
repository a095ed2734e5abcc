import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, type ApiClient } from "./api/client";
import type { Analysis } from "./api/types";
import { AnalysisView } from "./components/AnalysisView";
import { RecentAnalyses } from "./components/RecentAnalyses";
import { UploadForm } from "./components/UploadForm";
import { analysisIdFromPath, analysisPath, usePath } from "./lib/route";

type Opened =
  | { kind: "none" }
  | { kind: "loading"; id: string }
  | { kind: "ready"; analysis: Analysis }
  | { kind: "error"; id: string; message: string };

/** Object URL of the file just uploaded, tied to the analysis it belongs to. */
interface Preview {
  analysisId: string;
  url: string;
}

function createPreviewUrl(file: File): string | undefined {
  // Absent outside browsers (jsdom); the overlay then draws the rectangle on an empty frame.
  return typeof URL.createObjectURL === "function" ? URL.createObjectURL(file) : undefined;
}

export function App({ api }: { api: ApiClient }) {
  const [path, navigate] = usePath();
  const [opened, setOpened] = useState<Opened>({ kind: "none" });
  const [preview, setPreview] = useState<Preview | undefined>();
  const [listVersion, setListVersion] = useState(0);
  // The analysis the upload just returned: opening it needs no second request.
  const justUploaded = useRef<Analysis | undefined>(undefined);
  const routeId = analysisIdFromPath(path);

  useEffect(() => {
    return () => {
      if (preview) URL.revokeObjectURL(preview.url);
    };
  }, [preview]);

  // The path is the source of truth for what is open, so reloads and shared links work.
  useEffect(() => {
    if (routeId === undefined) {
      setOpened({ kind: "none" });
      return;
    }
    if (justUploaded.current?.id === routeId) {
      setOpened({ kind: "ready", analysis: justUploaded.current });
      return;
    }
    let current = true;
    setOpened({ kind: "loading", id: routeId });
    api.getAnalysis(routeId).then(
      (analysis) => current && setOpened({ kind: "ready", analysis }),
      (error: unknown) => {
        if (!current) return;
        const message = error instanceof ApiError ? error.message : "Loading the analysis failed unexpectedly.";
        setOpened({ kind: "error", id: routeId, message });
      },
    );
    return () => {
      current = false;
    };
  }, [api, routeId]);

  const onUploaded = useCallback(
    (analysis: Analysis, file: File) => {
      const url = createPreviewUrl(file);
      setPreview(url ? { analysisId: analysis.id, url } : undefined);
      justUploaded.current = analysis;
      setOpened({ kind: "ready", analysis });
      setListVersion((version) => version + 1);
      navigate(analysisPath(analysis.id));
    },
    [navigate],
  );

  const openAnalysis = useCallback((id: string) => navigate(analysisPath(id)), [navigate]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>
          <a
            href="/"
            onClick={(event) => {
              event.preventDefault();
              navigate("/");
            }}
          >
            Negative space analysis
          </a>
        </h1>
        <p>Upload an image to measure its background, its largest empty rectangle and how its content is spread.</p>
      </header>
      <main className="app-main">
        <div className="app-primary">
          <UploadForm api={api} onUploaded={onUploaded} />
          {opened.kind === "loading" && <p role="status">Loading analysis…</p>}
          {opened.kind === "error" && (
            <p role="alert" className="error">
              {opened.message}
            </p>
          )}
          {opened.kind === "ready" && (
            <AnalysisView
              analysis={opened.analysis}
              previewUrl={preview?.analysisId === opened.analysis.id ? preview.url : undefined}
            />
          )}
        </div>
        <aside className="app-secondary">
          <RecentAnalyses api={api} reloadKey={listVersion} selectedId={routeId} onOpen={openAnalysis} />
        </aside>
      </main>
    </div>
  );
}
