"use client";
// A button for an operator action: viewers see it disabled, with why.
import { Button, Tooltip } from "@radix-ui/themes";
import type { ComponentProps } from "react";
import { useRole } from "@/hooks/use-session";

export const OPERATOR_NEEDED = "operator role needed";

type ButtonProps = ComponentProps<typeof Button>;

export function OperatorButton({ blockedReason, ...props }: ButtonProps & { blockedReason?: string | null }) {
  const { isOperator } = useRole();
  const reason = !isOperator ? OPERATOR_NEEDED : blockedReason;
  if (!reason) return <Button {...props} />;
  // a disabled button receives no pointer events: the tooltip hangs on a wrapper
  return (
    <Tooltip content={reason}>
      <span tabIndex={0} style={{ display: "inline-flex" }} data-blocked-reason={reason}>
        <Button {...props} disabled />
      </span>
    </Tooltip>
  );
}
