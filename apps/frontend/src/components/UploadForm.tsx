import { useId, useRef, useState, type FormEvent } from "react";
import { ApiError, type ApiClient } from "../api/client";
import type { Analysis } from "../api/types";

/** The types the analyzer accepts (CONTRACT.md); the api checks the bytes, this only guides the picker. */
export const ACCEPTED_TYPES = "image/png,image/jpeg,image/webp,image/gif";

type UploadState = { kind: "idle" } | { kind: "uploading"; filename: string } | { kind: "error"; message: string };

interface Props {
  api: ApiClient;
  onUploaded(analysis: Analysis, file: File): void;
}

export function UploadForm({ api, onUploaded }: Props) {
  const inputId = useId();
  const hintId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<UploadState>({ kind: "idle" });
  const uploading = state.kind === "uploading";

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file || uploading) return;
    setState({ kind: "uploading", filename: file.name });
    try {
      const analysis = await api.uploadImage(file);
      setState({ kind: "idle" });
      setFile(null);
      if (inputRef.current) inputRef.current.value = "";
      onUploaded(analysis, file);
    } catch (error) {
      const message = error instanceof ApiError ? error.message : "The upload failed unexpectedly. Try again.";
      setState({ kind: "error", message });
    }
  }

  return (
    <form className="upload" aria-label="Upload an image" onSubmit={submit} aria-busy={uploading}>
      <label htmlFor={inputId}>Image</label>
      <input
        id={inputId}
        ref={inputRef}
        type="file"
        name="image"
        accept={ACCEPTED_TYPES}
        aria-describedby={hintId}
        disabled={uploading}
        onChange={(event) => {
          setFile(event.currentTarget.files?.[0] ?? null);
          if (state.kind === "error") setState({ kind: "idle" });
        }}
      />
      <p id={hintId} className="hint">
        PNG, JPEG, WebP or GIF.
      </p>
      <button type="submit" disabled={!file || uploading}>
        {uploading ? "Analyzing…" : "Analyze"}
      </button>
      <div role="status" className="upload-status">
        {uploading && (
          <>
            <progress aria-label={`Uploading ${state.filename}`} />
            <span>Uploading and analyzing {state.filename}…</span>
          </>
        )}
      </div>
      {state.kind === "error" && (
        <p role="alert" className="error">
          {state.message}
        </p>
      )}
    </form>
  );
}
