import { describe, expect, it } from "vitest";
import type { AlertResponse } from "../types/generated/AlertResponse";
import { alertValues, countBySeverity, isSnoozed, severityLed, sortAlerts } from "./alerts";

function alert(o: Partial<AlertResponse>): AlertResponse {
  return {
    id: 1,
    server_id: "nas",
    server_name: "NAS",
    alert_type: "disk_high",
    severity: "high",
    status: "open",
    title: "Disk high",
    message: null,
    threshold_value: 80,
    actual_value: 91.26,
    created_at: "2026-01-10T12:00:00Z",
    acknowledged_at: null,
    resolved_at: null,
    auto_resolved: false,
    can_acknowledge: true,
    service_name: null,
    can_resolve: true,
    snoozed_until: null,
    suggested_action: null,
    ...o,
  };
}

describe("alert helpers", () => {
  it("gives each severity a distinct shape", () => {
    expect(severityLed("critical")).toBe("offline");
    expect(severityLed("high")).toBe("warning");
    expect(severityLed("low")).toBe("unknown");
  });

  it("sorts worst first, then newest first", () => {
    const list = [
      alert({ id: 1, severity: "low", created_at: "2026-01-10T12:00:00Z" }),
      alert({ id: 2, severity: "critical", created_at: "2026-01-09T12:00:00Z" }),
      alert({ id: 3, severity: "high", created_at: "2026-01-08T12:00:00Z" }),
      alert({ id: 4, severity: "high", created_at: "2026-01-10T12:00:00Z" }),
    ];
    expect(sortAlerts(list).map((a) => a.id)).toEqual([2, 4, 3, 1]);
  });

  it("counts by severity", () => {
    const c = countBySeverity([alert({ severity: "high" }), alert({ severity: "high" }), alert({ severity: "low" })]);
    expect(c).toEqual({ critical: 0, high: 2, medium: 0, low: 1 });
  });

  it("knows when a snooze is over", () => {
    const now = new Date("2026-01-10T12:00:00Z");
    expect(isSnoozed(alert({ snoozed_until: "2026-01-10T13:00:00Z" }), now)).toBe(true);
    expect(isSnoozed(alert({ snoozed_until: "2026-01-10T11:00:00Z" }), now)).toBe(false);
    expect(isSnoozed(alert({}), now)).toBe(false);
  });

  it("shows the value against its threshold", () => {
    expect(alertValues(alert({}))).toBe("91.3 (threshold 80)");
    expect(alertValues(alert({ actual_value: null }))).toBeNull();
  });
});
