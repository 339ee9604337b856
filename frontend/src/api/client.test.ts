import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ACTIONS_CHANGED,
  api,
  API_KEY_STORAGE,
  ApiError,
  checkApiKey,
  getApiKey,
  onUnauthorized,
  prefetch,
  setApiKey,
  UnauthorizedError,
} from "./client";

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

describe("api client", () => {
  const fetchMock = vi.fn<typeof fetch>();
  const handler = vi.fn();

  beforeEach(() => {
    fetchMock.mockReset();
    handler.mockReset();
    vi.stubGlobal("fetch", fetchMock);
    onUnauthorized(handler);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    onUnauthorized(null);
  });

  it("sends the stored key in X-API-Key to /api/v1", async () => {
    setApiKey("secret-key");
    fetchMock.mockResolvedValue(jsonResponse(200, { servers: [], total: 0 }));

    const res = await api.listServers();

    expect(res.total).toBe(0);
    expect(fetchMock).toHaveBeenCalledOnce();
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/v1/servers");
    expect((init?.headers as Record<string, string>)["X-API-Key"]).toBe("secret-key");
  });

  it("on 401 forgets the key, calls the handler and throws UnauthorizedError", async () => {
    setApiKey("old-key");
    fetchMock.mockResolvedValue(
      jsonResponse(401, { detail: { code: "UNAUTHORIZED", message: "Invalid API key" } }),
    );

    await expect(api.getServer("nas")).rejects.toBeInstanceOf(UnauthorizedError);

    expect(handler).toHaveBeenCalledOnce();
    expect(getApiKey()).toBeNull();
    expect(sessionStorage.getItem(API_KEY_STORAGE)).toBeNull();
  });

  it("without a key asks for sign-in and sends nothing", async () => {
    await expect(api.listServers()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(fetchMock).not.toHaveBeenCalled();
    expect(handler).toHaveBeenCalledOnce();
  });

  it("turns other errors into ApiError with the hub's message", async () => {
    setApiKey("k");
    fetchMock.mockResolvedValue(
      jsonResponse(404, { detail: { code: "NOT_FOUND", message: "Server 'x' not found" } }),
    );

    const err = await api.getServer("x").catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(UnauthorizedError);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).message).toBe("Server 'x' not found");
    expect(handler).not.toHaveBeenCalled();
    expect(getApiKey()).toBe("k");
  });

  it("joins 422 validation messages", async () => {
    setApiKey("k");
    fetchMock.mockResolvedValue(
      jsonResponse(422, { detail: [{ loc: ["query", "range"], msg: "bad range", type: "enum" }] }),
    );
    await expect(api.getMetrics("a", "24h")).rejects.toThrow("bad range");
  });

  it("saves section order with a JSON body via PUT", async () => {
    setApiKey("k");
    fetchMock.mockResolvedValue(jsonResponse(200, { status: "saved", timestamp: "t" }));

    await api.saveSectionOrder({ servers: ["b", "a"], workstations: [] });

    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/v1/preferences/section-order");
    expect(init?.method).toBe("PUT");
    expect((init?.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toEqual({ servers: ["b", "a"], workstations: [] });
  });

  it("escapes machine ids in paths", async () => {
    setApiKey("k");
    fetchMock.mockResolvedValue(jsonResponse(200, { data_points: [] }));
    await api.getMetrics("a/b c", "7d");
    expect(fetchMock.mock.calls[0][0]).toBe("/api/v1/servers/a%2Fb%20c/metrics?range=7d");
  });

  it("checkApiKey says no on 401 without touching the stored key or the handler", async () => {
    setApiKey("current");
    fetchMock.mockResolvedValue(jsonResponse(401, { detail: { code: "UNAUTHORIZED", message: "no" } }));

    expect(await checkApiKey("wrong")).toBe(false);

    const init = fetchMock.mock.calls[0][1];
    expect((init?.headers as Record<string, string>)["X-API-Key"]).toBe("wrong");
    expect(getApiKey()).toBe("current");
    expect(handler).not.toHaveBeenCalled();
  });

  it("checkApiKey says yes on 200", async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, { servers: [], total: 0 }));
    expect(await checkApiKey("right")).toBe(true);
  });

  it("a prefetched GET answers the first request for its path, once", async () => {
    setApiKey("k");
    fetchMock.mockImplementation(async () => jsonResponse(200, { servers: [], total: 0 }));
    prefetch(["/servers"]);
    expect(fetchMock).toHaveBeenCalledOnce();
    expect(fetchMock.mock.calls[0][0]).toBe("/api/v1/servers");

    await api.listServers();
    expect(fetchMock).toHaveBeenCalledOnce(); // taken, not sent again
    await api.listServers();
    expect(fetchMock).toHaveBeenCalledTimes(2); // later polls go out as usual
  });

  it("a prefetched 401 still signs the operator out when it is taken", async () => {
    setApiKey("old-key");
    fetchMock.mockImplementation(async () => jsonResponse(401, { detail: "no" }));
    prefetch(["/servers"]);
    expect(handler).not.toHaveBeenCalled();
    await expect(api.listServers()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(handler).toHaveBeenCalledOnce();
    expect(getApiKey()).toBeNull();
  });

  it("prefetches nothing without a key", () => {
    prefetch(["/servers"]);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("announces the dashboard's own action changes (the nav badge listens)", async () => {
    setApiKey("k");
    fetchMock.mockImplementation(async () => jsonResponse(200, { id: 3, status: "approved" }));
    const heard = vi.fn();
    window.addEventListener(ACTIONS_CHANGED, heard);
    try {
      await api.approveAction(3);
      expect(heard).toHaveBeenCalledOnce();
      await api.listActions();
      expect(heard).toHaveBeenCalledOnce();
    } finally {
      window.removeEventListener(ACTIONS_CHANGED, heard);
    }
  });
});
