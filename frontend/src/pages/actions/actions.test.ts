import { describe, expect, it } from "vitest";
import {
  actionLed,
  actionStatusLabel,
  auditLed,
  canCancel,
  describeAction,
  duration,
  hasOutput,
  isInFlight,
} from "./actions";

describe("actions as shown", () => {
  it("gives every status an LED shape and a word", () => {
    expect(actionLed("completed")).toBe("online");
    expect(actionLed("pending")).toBe("warning");
    expect(actionLed("failed")).toBe("offline");
    for (const s of ["approved", "executing", "rejected", "cancelled"]) expect(actionLed(s)).toBe("unknown");
    expect(actionStatusLabel("pending")).toBe("awaiting approval");
    expect(actionStatusLabel("executing")).toBe("running");
    expect(actionStatusLabel("something-new")).toBe("something-new");
  });

  it("describes actions in words", () => {
    expect(describeAction({ action_type: "restart_service", service_name: "nginx" })).toBe("Restart nginx");
    expect(describeAction({ action_type: "apt_upgrade_security", service_name: null })).toBe("Security upgrades");
    expect(describeAction({ action_type: "future_type", service_name: null })).toBe("future_type");
  });

  it("knows what can still be cancelled and what is in flight", () => {
    expect(canCancel("pending")).toBe(true);
    expect(canCancel("approved")).toBe(true);
    expect(canCancel("executing")).toBe(false);
    expect(canCancel("completed")).toBe(false);
    expect(isInFlight("executing")).toBe(true);
    expect(isInFlight("pending")).toBe(false);
  });

  it("has output once anything ran", () => {
    expect(hasOutput({ stdout: null, stderr: null, exit_code: null })).toBe(false);
    expect(hasOutput({ stdout: "", stderr: "", exit_code: 0 })).toBe(true);
    expect(hasOutput({ stdout: null, stderr: "no key", exit_code: null })).toBe(true);
  });

  it("shows audit outcomes and durations", () => {
    expect(auditLed("completed")).toBe("online");
    expect(auditLed("rejected")).toBe("offline");
    expect(auditLed("failed")).toBe("offline");
    expect(auditLed("allowed")).toBe("unknown");
    expect(duration(null)).toBe("–");
    expect(duration(850)).toBe("850 ms");
    expect(duration(2400)).toBe("2.4 s");
    expect(duration(185_000)).toBe("3 min 5 s");
  });
});
