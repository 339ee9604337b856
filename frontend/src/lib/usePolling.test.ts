import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { usePolling } from "./usePolling";

describe("usePolling", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
  });

  it("loads at once, again every interval, and keeps the last data on a failed refresh", async () => {
    let n = 0;
    const load = vi.fn(async () => {
      n += 1;
      if (n === 3) throw new Error("hub restarting");
      return n;
    });
    const { result } = renderHook(() => usePolling(load, 15_000, []));
    await act(async () => {});
    expect(result.current.data).toBe(1);

    await act(async () => vi.advanceTimersByTime(15_000));
    expect(load).toHaveBeenCalledTimes(2);
    expect(result.current.data).toBe(2);

    await act(async () => vi.advanceTimersByTime(15_000));
    expect(result.current.error?.message).toBe("hub restarting");
    expect(result.current.data).toBe(2);

    await act(async () => vi.advanceTimersByTime(15_000));
    expect(result.current.data).toBe(4);
    expect(result.current.error).toBeUndefined();
  });

  it("does not poll while the tab is hidden", async () => {
    const load = vi.fn(async () => 1);
    renderHook(() => usePolling(load, 15_000, []));
    await act(async () => {});
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    await act(async () => vi.advanceTimersByTime(60_000));
    expect(load).toHaveBeenCalledTimes(1);

    // Back on the tab: fresh data at once.
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    await act(async () => document.dispatchEvent(new Event("visibilitychange")));
    expect(load).toHaveBeenCalledTimes(2);
  });
});
