import { describe, expect, it } from "vitest";
import { dayRange, money } from "./money";

describe("cost helpers", () => {
  it("formats money with the currency symbol", () => {
    expect(money(1.234, "£")).toBe("£1.23");
    expect(money(-0.5, "€")).toBe("-€0.50");
    expect(money(0.2846, "$", 3)).toBe("$0.285");
  });

  it("gives the last N UTC days inclusive", () => {
    expect(dayRange(new Date("2026-03-01T05:00:00Z"), 30)).toEqual({
      start_date: "2026-01-31",
      end_date: "2026-03-01",
    });
    expect(dayRange(new Date("2026-03-01T23:59:00Z"), 1)).toEqual({
      start_date: "2026-03-01",
      end_date: "2026-03-01",
    });
  });
});
