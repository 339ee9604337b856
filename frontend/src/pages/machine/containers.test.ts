import { describe, expect, it } from "vitest";
import { containerLed, containerSummary, sortContainers } from "./containers";

const c = (name: string, state: string) => ({ name, image: `${name}:latest`, state, status: null });

describe("containers", () => {
  it("gives each Docker state an LED with its own shape", () => {
    expect(containerLed("running")).toBe("online");
    expect(containerLed("restarting")).toBe("warning");
    expect(containerLed("paused")).toBe("warning");
    expect(containerLed("exited")).toBe("offline");
    expect(containerLed("dead")).toBe("offline");
    expect(containerLed("created")).toBe("unknown");
  });

  it("lists stopped containers first, then by name", () => {
    const sorted = sortContainers([c("web", "running"), c("db", "exited"), c("cache", "running"), c("job", "restarting")]);
    expect(sorted.map((x) => x.name)).toEqual(["db", "job", "cache", "web"]);
  });

  it("counts running and the rest", () => {
    expect(containerSummary([c("a", "running"), c("b", "running")])).toBe("2 running");
    expect(containerSummary([c("a", "running"), c("b", "exited")])).toBe("1 running · 1 not running");
    expect(containerSummary([])).toBe("");
  });
});
