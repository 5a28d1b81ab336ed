"use client";
// Rolling back a run from its detail page: the confirmation (the run and every later one are undone)
// and what the rollback did.
import { AlertDialog, Button, Callout, Code, Flex, Link as RadixLink } from "@radix-ui/themes";
import Link from "next/link";
import { Fragment } from "react";
import { formatCount, formatDuration } from "@/components/run-format";
import type { RollbackResult } from "@/pipeline/undo";

export function RollbackDialog({
  runId,
  open,
  pending,
  onOpenChange,
  onConfirm,
}: {
  runId: string;
  open: boolean;
  pending: boolean;
  onOpenChange: (open: boolean) => void;
  onConfirm: () => void;
}) {
  return (
    // closing is held off while the rollback is going, so its outcome is not missed
    <AlertDialog.Root open={open} onOpenChange={(next) => (pending ? undefined : onOpenChange(next))}>
      <AlertDialog.Content maxWidth="500px" data-testid="rollback-dialog">
        <AlertDialog.Title>Roll back run {runId}?</AlertDialog.Title>
        <AlertDialog.Description size="2">
          This run and every later run are undone: summary, latest_summary, the watermark and quarantine go back to what they
          were before run {runId}. The input of those runs counts as new again, so the next run reads it unless it is removed.
        </AlertDialog.Description>
        <Flex gap="3" mt="4" justify="end">
          <AlertDialog.Cancel>
            <Button variant="soft" color="gray" disabled={pending}>
              Cancel
            </Button>
          </AlertDialog.Cancel>
          {/* not an AlertDialog.Action: that would close the dialog before the server has answered */}
          <Button color="red" onClick={onConfirm} loading={pending} data-testid="confirm-rollback">
            Roll back
          </Button>
        </Flex>
      </AlertDialog.Content>
    </AlertDialog.Root>
  );
}

export function RollbackOutcome({ result }: { result: RollbackResult }) {
  const many = result.runs.length > 1;
  return (
    <Callout.Root color="amber" data-testid="rollback-result">
      <Callout.Text>
        <strong>Rolled back {many ? `${result.runs.length} runs` : "run"} </strong>
        {result.runs.map((r, i) => (
          <Fragment key={r.runId}>
            {i > 0 ? ", " : null}
            <RadixLink asChild>
              <Link href={`/runs/${r.runId}`}>
                <Code variant="ghost">{r.runId}</Code>
              </Link>
            </RadixLink>
          </Fragment>
        ))}
        {many ? " (newest first)" : null} in {formatDuration(result.durationMs)}.
      </Callout.Text>
      <Callout.Text>
        Summary rows {formatCount(result.summaryRows.before)} → {formatCount(result.summaryRows.after)} · accounts restored{" "}
        {formatCount(result.accounts)}.
      </Callout.Text>
    </Callout.Root>
  );
}
