import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { MachineCard } from "./MachineCard";
import { machine } from "../test/fixtures";

const NOW = new Date("2026-01-10T12:12:00Z");

function renderCard(overrides: Parameters<typeof machine>[0]) {
  const m = machine(overrides);
  render(
    <MemoryRouter>
      <MachineCard machine={m} sparkline={[10, 20, 30]} now={NOW} />
    </MemoryRouter>,
  );
  return screen.getByRole("article");
}

function led(card: HTMLElement) {
  const el = card.querySelector("[data-status]");
  expect(el).not.toBeNull();
  return el as HTMLElement;
}

describe("MachineCard", () => {
  it("says Online in text, not just colour", () => {
    const card = renderCard({ status: "online" });
    expect(led(card)).toHaveAttribute("data-status", "online");
    expect(led(card)).toHaveTextContent("Online");
    expect(card).toHaveAccessibleName("NAS: Online");
    expect(screen.getByRole("link", { name: "NAS" })).toHaveAttribute("href", "/machines/nas-01");
  });

  it("shows an offline server as Offline with the square LED", () => {
    const card = renderCard({ status: "offline" });
    expect(led(card)).toHaveAttribute("data-status", "offline");
    expect(led(card)).toHaveTextContent("Offline");
    expect(led(card).querySelector("rect")).not.toBeNull();
  });

  it("shows a workstation that is not up as 'last seen', never Offline", () => {
    const card = renderCard({
      machine_type: "workstation",
      status: "unknown",
      last_seen: "2026-01-10T12:00:00Z",
    });
    expect(led(card)).toHaveAttribute("data-status", "unknown");
    expect(led(card)).toHaveTextContent("Last seen 12 min ago");
    expect(card).not.toHaveTextContent("Offline");
    expect(screen.getByRole("img", { name: "Workstation" })).toBeInTheDocument();
  });

  it("shows open alerts as a warning triangle with a count", () => {
    const card = renderCard({ active_alert_count: 2 });
    expect(led(card)).toHaveAttribute("data-status", "warning");
    expect(led(card)).toHaveTextContent("2 alerts");
    expect(led(card).querySelector("path")).not.toBeNull();
  });

  it("shows the maintenance badge when paused", () => {
    const card = renderCard({ is_paused: true });
    expect(card).toHaveTextContent("Maintenance");
  });

  it("shows CPU, RAM and disk as meters", () => {
    renderCard({});
    expect(screen.getByRole("meter", { name: "CPU" })).toHaveAttribute("aria-valuenow", "12.5");
    expect(screen.getByRole("meter", { name: "RAM" })).toHaveAttribute("aria-valuetext", "40%");
    expect(screen.getByRole("meter", { name: "Disk" })).toHaveAttribute("aria-valuetext", "55%");
    expect(screen.getByRole("img", { name: "NAS CPU, last 30 minutes" })).toBeInTheDocument();
  });

  it("has no quick actions unless the dashboard gives it something to do", () => {
    renderCard({});
    expect(screen.queryByRole("group", { name: /^Quick actions/ })).toBeNull();
  });

  it("offers Open and Pause as keyboard-reachable quick actions", async () => {
    const toggle = vi.fn().mockResolvedValue(undefined);
    const m = machine({});
    render(
      <MemoryRouter>
        <MachineCard machine={m} now={NOW} onTogglePause={toggle} />
      </MemoryRouter>,
    );
    const group = screen.getByRole("group", { name: "Quick actions for NAS" });
    expect(screen.getByRole("link", { name: "Open NAS" })).toHaveAttribute("href", "/machines/nas-01");
    const pause = screen.getByRole("button", { name: "Pause NAS: maintenance mode" });
    expect(group).toContainElement(pause);
    expect(pause.tabIndex).toBe(0);
    fireEvent.click(pause);
    expect(toggle).toHaveBeenCalledWith(m);
    await waitFor(() => expect(pause).toBeEnabled());
  });

  it("offers Unpause for a machine in maintenance", () => {
    render(
      <MemoryRouter>
        <MachineCard machine={machine({ is_paused: true })} now={NOW} onTogglePause={vi.fn()} />
      </MemoryRouter>,
    );
    expect(screen.getByRole("button", { name: "Unpause NAS: end maintenance" })).toHaveTextContent("Unpause");
  });
});
