// A run's status as a coloured badge.
import { Badge } from "@radix-ui/themes";

type Color = "green" | "blue" | "red" | "gray" | "amber" | "orange";

const COLORS: Record<string, Color> = {
  succeeded: "green",
  running: "blue",
  queued: "gray",
  failed: "red",
  cancelled: "gray",
  interrupted: "amber",
  retrying: "orange",
  rolled_back: "gray",
};

export function RunStatusBadge({ status, size = "1" }: { status: string; size?: "1" | "2" | "3" }) {
  return (
    <Badge color={COLORS[status] ?? "gray"} variant={status === "running" ? "solid" : "soft"} size={size} data-testid="run-status">
      {status.replace(/_/g, " ")}
    </Badge>
  );
}
