import { beforeEach, describe, expect, it, vi } from "vitest";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { setApiKey } from "../../api/client";
import { ComplianceWidget } from "./ComplianceWidget";
import { COLS, defaultLayouts, mergeLayouts } from "./layout";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("Compliance widget", () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    setApiKey("k");
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (url) => {
      const u = String(url);
      if (u === "/api/v1/servers/nas-01/config/packs") {
        return json({ server_id: "nas-01", assigned_packs: ["base", "developer-lite"], drift_detection_enabled: false });
      }
      if (u.startsWith("/api/v1/servers/nas-01/config/checks")) {
        return json({
          server_id: "nas-01",
          checks: [
            { id: 3, pack_name: "base", is_compliant: false, mismatch_count: 2, checked_at: "2026-01-10T12:00:00Z", check_duration_ms: 5 },
            { id: 2, pack_name: "base", is_compliant: true, mismatch_count: 0, checked_at: "2026-01-09T12:00:00Z", check_duration_ms: 5 },
          ],
          total: 2,
        });
      }
      return json({ detail: "unexpected" }, 500);
    });
    vi.stubGlobal("fetch", fetchMock);
  });

  it("shows the newest check per assigned pack and links to the Compliance page", async () => {
    render(
      <MemoryRouter>
        <ComplianceWidget machineId="nas-01" />
      </MemoryRouter>,
    );
    const packs = await screen.findByRole("list", { name: "Packs" });
    const base = packs.querySelector('[data-pack="base"]') as HTMLElement;
    expect(within(base).getByText("2 mismatches").closest("[data-status]")).toHaveAttribute("data-status", "warning");
    const dev = packs.querySelector('[data-pack="developer-lite"]') as HTMLElement;
    expect(within(dev).getByText("Never checked")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Open in Compliance/ })).toHaveAttribute("href", "/compliance/nas-01");
  });
});

describe("compliance in the widget layout", () => {
  it("is in every default breakpoint", () => {
    const d = defaultLayouts();
    for (const bp of ["lg", "md", "sm", "xs"] as const) expect(d[bp].some((i) => i.i === "compliance")).toBe(true);
  });

  it("is appended below a layout saved before it existed, which keeps its own positions", () => {
    const old = defaultLayouts();
    for (const bp of ["lg", "md", "sm", "xs"] as const) old[bp] = old[bp].filter((i) => i.i !== "compliance");
    old.lg = old.lg.map((i) => (i.i === "system" ? { ...i, w: 3 } : i));
    const m = mergeLayouts(old);
    const bottom = Math.max(...old.lg.map((i) => i.y + i.h));
    expect(m.lg.find((i) => i.i === "compliance")).toMatchObject({ x: 0, y: bottom, w: COLS.lg });
    expect(m.lg.find((i) => i.i === "system")?.w).toBe(3);
  });
});
