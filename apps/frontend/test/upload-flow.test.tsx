import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../src/api/client";
import type { Analysis } from "../src/api/types";
import { App } from "../src/App";
import { deferred, makeAnalysis } from "./fixtures";
import { fakeApi } from "./fake-api";

function pngFile(name = "block.png"): File {
  return new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], name, { type: "image/png" });
}

beforeEach(() => {
  window.history.replaceState(null, "", "/");
});

describe("upload flow", () => {
  it("keeps Analyze disabled until a file is chosen", async () => {
    const api = fakeApi();
    api.listAnalyses.mockResolvedValue({ items: [], nextCursor: null });
    render(<App api={api} />);

    const analyze = screen.getByRole("button", { name: "Analyze" });
    expect((analyze as HTMLButtonElement).disabled).toBe(true);
    await userEvent.upload(screen.getByLabelText("Image"), pngFile());
    expect((analyze as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows progress while uploading, then the analysis, its URL, and the refreshed list", async () => {
    const api = fakeApi();
    const created = makeAnalysis({ filename: "block.png" });
    api.listAnalyses.mockResolvedValueOnce({ items: [], nextCursor: null });
    api.listAnalyses.mockResolvedValueOnce({ items: [created], nextCursor: null });
    const upload = deferred<Analysis>();
    api.uploadImage.mockReturnValue(upload.promise);
    const user = userEvent.setup();
    render(<App api={api} />);
    await screen.findByText("No analyses yet. Upload an image to start.");

    const file = pngFile();
    await user.upload(screen.getByLabelText("Image"), file);
    await user.click(screen.getByRole("button", { name: "Analyze" }));

    expect(api.uploadImage).toHaveBeenCalledWith(file);
    expect(screen.getByRole("progressbar", { name: "Uploading block.png" })).toBeDefined();
    expect(screen.getByText("Uploading and analyzing block.png…")).toBeDefined();
    expect((screen.getByRole("button", { name: "Analyzing…" }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByLabelText("Image") as HTMLInputElement).disabled).toBe(true);

    upload.resolve(created);

    expect(await screen.findByRole("heading", { name: "Analysis of block.png" })).toBeDefined();
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(window.location.pathname).toBe(`/analyses/${created.id}`);
    const list = await screen.findByRole("list", { name: "Recent analyses" });
    expect(within(list).getByRole("button", { name: /block\.png/ }).getAttribute("aria-current")).toBe("true");
    expect(api.listAnalyses).toHaveBeenCalledTimes(2);
    // The upload answered with the analysis already: opening it costs no extra request.
    expect(api.getAnalysis).not.toHaveBeenCalled();
  });

  it("shows the api's error message and no analysis when the upload is rejected, and clears it on a new choice", async () => {
    const api = fakeApi();
    api.listAnalyses.mockResolvedValue({ items: [], nextCursor: null });
    api.uploadImage.mockRejectedValue(new ApiError(415, "unsupported_media_type", "Only PNG, JPEG, WebP and GIF images are accepted."));
    const user = userEvent.setup({ applyAccept: false });
    render(<App api={api} />);

    await user.upload(screen.getByLabelText("Image"), new File(["text"], "notes.txt", { type: "text/plain" }));
    await user.click(screen.getByRole("button", { name: "Analyze" }));

    expect((await screen.findByRole("alert")).textContent).toBe("Only PNG, JPEG, WebP and GIF images are accepted.");
    expect(screen.queryByRole("heading", { name: /Analysis of/ })).toBeNull();
    expect(window.location.pathname).toBe("/");
    expect((screen.getByRole("button", { name: "Analyze" }) as HTMLButtonElement).disabled).toBe(false);

    await user.upload(screen.getByLabelText("Image"), pngFile());
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("opens the analysis named in the URL on load", async () => {
    const api = fakeApi();
    const stored = makeAnalysis({ filename: "stored.png" });
    api.listAnalyses.mockResolvedValue({ items: [stored], nextCursor: null });
    api.getAnalysis.mockResolvedValue(stored);
    window.history.replaceState(null, "", `/analyses/${stored.id}`);

    render(<App api={api} />);

    expect(await screen.findByRole("heading", { name: "Analysis of stored.png" })).toBeDefined();
    expect(api.getAnalysis).toHaveBeenCalledWith(stored.id);
  });

  it("says so when the analysis in the URL does not exist", async () => {
    const api = fakeApi();
    api.listAnalyses.mockResolvedValue({ items: [], nextCursor: null });
    api.getAnalysis.mockRejectedValue(new ApiError(404, "not_found", "Analysis not found."));
    window.history.replaceState(null, "", "/analyses/missing");

    render(<App api={api} />);

    expect((await screen.findByRole("alert")).textContent).toBe("Analysis not found.");
  });
});
