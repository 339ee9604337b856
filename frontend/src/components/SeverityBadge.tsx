// Alert severity as shape + colour + word (BRAND.md: never colour alone).

import { severityLed } from "../lib/alerts";
import { StatusLed } from "./StatusLed";

export function SeverityBadge({ severity, className = "" }: { severity: string; className?: string }) {
  return <StatusLed state={severityLed(severity)} label={severity} className={`uppercase ${className}`} />;
}
