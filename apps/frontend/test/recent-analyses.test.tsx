import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../src/api/client";
import type { AnalysisPage } from "../src/api/types";
import { App } from "../src/App";
import { PAGE_SIZE } from "../src/components/RecentAnalyses";
import { deferred, makeAnalysis } from "./fixtures";
import { fakeApi } from "./fake-api";

beforeEach(() => {
  window.history.replaceState(null, "", "/");
});

function listedNames(): string[] {
  const list = screen.getByRole("list", { name: "Recent analyses" });
  return within(list)
    .getAllByRole("button")
    .map((button) => button.querySelector(".recent-name")?.textContent ?? "");
}

describe("recent analyses", () => {
  it("loads more with the cursor of the previous page until there is none", async () => {
    const api = fakeApi();
    const first = [makeAnalysis({ filename: "a.png" }), makeAnalysis({ filename: "b.png" })];
    const second = [makeAnalysis({ filename: "c.png" })];
    api.listAnalyses.mockResolvedValueOnce({ items: first, nextCursor: "cursor-1" });
    const secondPage = deferred<AnalysisPage>();
    api.listAnalyses.mockReturnValueOnce(secondPage.promise);
    const user = userEvent.setup();
    render(<App api={api} />);

    await screen.findByRole("button", { name: "Load more" });
    expect(listedNames()).toEqual(["a.png", "b.png"]);
    expect(api.listAnalyses).toHaveBeenLastCalledWith({ limit: PAGE_SIZE });

    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(api.listAnalyses).toHaveBeenLastCalledWith({ limit: PAGE_SIZE, cursor: "cursor-1" });
    const recent = screen.getByRole("region", { name: "Recent analyses" });
    expect(within(recent).getByRole("status").textContent).toBe("Loading analyses…");
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();

    secondPage.resolve({ items: second, nextCursor: null });
    await screen.findByText("c.png");
    expect(listedNames()).toEqual(["a.png", "b.png", "c.png"]);
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
    expect(api.listAnalyses).toHaveBeenCalledTimes(2);
  });

  it("keeps what it has and retries the same cursor when loading more fails", async () => {
    const api = fakeApi();
    api.listAnalyses.mockResolvedValueOnce({ items: [makeAnalysis({ filename: "a.png" })], nextCursor: "cursor-1" });
    api.listAnalyses.mockRejectedValueOnce(new ApiError(503, "unavailable", "The database is not reachable."));
    api.listAnalyses.mockResolvedValueOnce({ items: [makeAnalysis({ filename: "b.png" })], nextCursor: null });
    const user = userEvent.setup();
    render(<App api={api} />);

    await user.click(await screen.findByRole("button", { name: "Load more" }));
    expect((await screen.findByRole("alert")).textContent).toBe("The database is not reachable.");
    expect(listedNames()).toEqual(["a.png"]);

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await screen.findByText("b.png");
    expect(api.listAnalyses).toHaveBeenLastCalledWith({ limit: PAGE_SIZE, cursor: "cursor-1" });
    expect(listedNames()).toEqual(["a.png", "b.png"]);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("offers to try again when the first page fails", async () => {
    const api = fakeApi();
    api.listAnalyses.mockRejectedValueOnce(new ApiError(0, "network_error", "Could not reach the server."));
    api.listAnalyses.mockResolvedValueOnce({ items: [makeAnalysis({ filename: "a.png" })], nextCursor: null });
    const user = userEvent.setup();
    render(<App api={api} />);

    expect((await screen.findByRole("alert")).textContent).toBe("Could not reach the server.");
    await user.click(screen.getByRole("button", { name: "Try again" }));

    await screen.findByText("a.png");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("opens a listed analysis: fetches it by id, shows it and puts its id in the URL", async () => {
    const api = fakeApi();
    const listed = makeAnalysis({ filename: "listed.png" });
    api.listAnalyses.mockResolvedValue({ items: [listed], nextCursor: null });
    api.getAnalysis.mockResolvedValue(listed);
    const user = userEvent.setup();
    render(<App api={api} />);

    await user.click(await screen.findByRole("button", { name: /listed\.png/ }));

    expect(await screen.findByRole("heading", { name: "Analysis of listed.png" })).toBeDefined();
    expect(api.getAnalysis).toHaveBeenCalledWith(listed.id);
    expect(window.location.pathname).toBe(`/analyses/${listed.id}`);
    expect(screen.getByRole("button", { name: /listed\.png/ }).getAttribute("aria-current")).toBe("true");
  });
});
