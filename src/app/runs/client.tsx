"use client";
// The Runs page: the launch panel (dry run → plan → launch), the active run's live progress, and
// the list of runs with resume on the ones that stopped.
import { Box, Button, Callout, Card, Flex, Heading, Link as RadixLink, Progress, Select, Skeleton, Table, Text } from "@radix-ui/themes";
import Link from "next/link";
import { useState } from "react";
import { ApiErrorCallout } from "@/components/api-error-callout";
import { OperatorButton } from "@/components/operator-button";
import { formatCount, formatDuration, formatUtc, rowsWrittenOf } from "@/components/run-format";
import { RunStatusBadge } from "@/components/run-status-badge";
import { useActiveRun, useCancelRun, useLaunchRun, useResumeRun, useRunsList } from "@/hooks/use-runs";
import type { RunMode } from "@/pipeline/api";
import type { DryRunOutcome, RunSummary } from "@/server/services/runs";
import { PlanSummary } from "./plan-summary";

const RESUMABLE = new Set(["failed", "interrupted", "cancelled"]);

export function RunsPageClient() {
  const active = useActiveRun();
  const activeRun = active.data ?? null;
  return (
    <Flex direction="column" gap="4">
      <LaunchPanel activeRun={activeRun} />
      {activeRun ? <ActiveRunCard run={activeRun} /> : null}
      <RunsTable />
    </Flex>
  );
}

function LaunchPanel({ activeRun }: { activeRun: RunSummary | null }) {
  const [mode, setMode] = useState<RunMode>("incremental");
  const [plan, setPlan] = useState<DryRunOutcome | null>(null);
  const [launched, setLaunched] = useState<string | null>(null);
  const dryRun = useLaunchRun();
  const launch = useLaunchRun();
  const busy = dryRun.isPending || launch.isPending;
  const blocked = activeRun && (activeRun.status === "running" || activeRun.status === "queued") ? `run ${activeRun.id} is running` : null;
  const error = launch.error ?? dryRun.error;

  function runDry() {
    launch.reset();
    setLaunched(null);
    dryRun.mutate({ mode, dryRun: true }, { onSuccess: (out) => setPlan(out.dryRun ? out : null) });
  }
  function runForReal() {
    dryRun.reset();
    launch.mutate(
      { mode, dryRun: false },
      {
        onSuccess: (out) => {
          setPlan(null);
          setLaunched(out.runId);
        },
      },
    );
  }

  return (
    <Card size="3" data-testid="launch-panel">
      <Flex direction="column" gap="4">
        <Flex justify="between" align="center" wrap="wrap" gap="3">
          <Heading as="h3" size="4">
            Launch a run
          </Heading>
          <Flex align="center" gap="3" wrap="wrap">
            <Flex align="center" gap="2">
              <Text size="2" color="gray" id="mode-label">
                Mode
              </Text>
              <Select.Root
                value={mode}
                onValueChange={(v) => {
                  setMode(v === "initial" ? "initial" : "incremental");
                  setPlan(null);
                }}
              >
                <Select.Trigger aria-labelledby="mode-label" data-testid="mode-select" />
                <Select.Content>
                  <Select.Item value="incremental">Incremental — what is new</Select.Item>
                  <Select.Item value="initial">Initial — rebuild everything</Select.Item>
                </Select.Content>
              </Select.Root>
            </Flex>
            <OperatorButton variant="soft" onClick={runDry} loading={dryRun.isPending} disabled={busy} blockedReason={blocked}>
              Dry run
            </OperatorButton>
            <OperatorButton onClick={runForReal} loading={launch.isPending} disabled={busy} blockedReason={blocked}>
              Launch
            </OperatorButton>
          </Flex>
        </Flex>
        <Text size="2" color="gray">
          {mode === "incremental"
            ? "Processes only what arrived since the last committed run; an empty summary is built from scratch."
            : "Rebuilds every table from the whole source; readers keep seeing the old tables until the new ones commit."}
          {blocked ? ` Launching waits until ${blocked.replace("is running", "has finished")}.` : ""}
        </Text>
        {error ? <ApiErrorCallout error={error} title={launch.error ? "Launch refused" : "Dry run failed"} /> : null}
        {launched ? (
          <Callout.Root color="green" data-testid="launched">
            <Callout.Text>
              Run{" "}
              <RadixLink asChild>
                <Link href={`/runs/${launched}`}>{launched}</Link>
              </RadixLink>{" "}
              launched; it executes on the server — follow it below or on its page.
            </Callout.Text>
          </Callout.Root>
        ) : null}
        {plan ? (
          <Box data-testid="dry-run-result">
            <Flex justify="between" align="center" mb="3">
              <Heading as="h4" size="3">
                Dry run — the plan (nothing was written)
              </Heading>
              <Button size="1" variant="ghost" color="gray" onClick={() => setPlan(null)}>
                Dismiss
              </Button>
            </Flex>
            {plan.plan ? (
              <PlanSummary plan={plan.plan} />
            ) : (
              <Callout.Root color="gray">
                <Callout.Text>{plan.notes.join(" ") || "Nothing to do."}</Callout.Text>
              </Callout.Root>
            )}
          </Box>
        ) : null}
      </Flex>
    </Card>
  );
}

export function RunProgress({ run }: { run: RunSummary }) {
  const pct = run.bucketsTotal > 0 ? Math.round((run.bucketsDone / run.bucketsTotal) * 100) : 0;
  return (
    <Flex direction="column" gap="2" data-testid="run-progress">
      <Progress value={pct} size="3" aria-label="buckets done" />
      <Flex gap="4" wrap="wrap">
        <Text size="2">
          <Text weight="medium">
            {run.bucketsDone} / {run.bucketsTotal || "?"}
          </Text>{" "}
          buckets
        </Text>
        <Text size="2">
          <Text weight="medium">{formatCount(run.rowsWritten)}</Text> rows written
        </Text>
        <Text size="2">
          phase <Text weight="medium">{run.phase ?? "starting"}</Text>
        </Text>
        <Text size="2">
          ETA <Text weight="medium">{run.etaMs === null ? "—" : formatDuration(run.etaMs)}</Text>
        </Text>
        <Text size="2" color="gray">
          running for {formatDuration(run.durationMs)}
        </Text>
      </Flex>
    </Flex>
  );
}

function ActiveRunCard({ run }: { run: RunSummary }) {
  const cancel = useCancelRun();
  return (
    <Card size="3" data-testid="active-run">
      <Flex direction="column" gap="3">
        <Flex justify="between" align="center" gap="3" wrap="wrap">
          <Flex align="center" gap="2">
            <Heading as="h3" size="4">
              Run{" "}
              <RadixLink asChild>
                <Link href={`/runs/${run.id}`}>{run.id}</Link>
              </RadixLink>
            </Heading>
            <RunStatusBadge status={run.status} size="2" />
            <Text size="2" color="gray">
              {run.mode} · {run.trigger}
              {run.resumeCount > 0 ? ` · resumed ${run.resumeCount}×` : ""}
            </Text>
          </Flex>
          <OperatorButton
            color="red"
            variant="soft"
            onClick={() => cancel.mutate({ id: run.id })}
            loading={cancel.isPending}
            disabled={run.cancelRequested}
            blockedReason={run.live ? null : "this run executes in another process"}
          >
            {run.cancelRequested ? "Cancelling…" : "Cancel"}
          </OperatorButton>
        </Flex>
        <RunProgress run={run} />
        {run.cancelRequested ? (
          <Text size="2" color="amber">
            Cancel requested: the run stops after the bucket in progress.
          </Text>
        ) : null}
        {cancel.error ? <ApiErrorCallout error={cancel.error} title="Cancel refused" /> : null}
      </Flex>
    </Card>
  );
}

function RunsTable() {
  const runs = useRunsList();
  const resume = useResumeRun();
  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h3" size="4">
          Recent runs
        </Heading>
        {resume.error ? <ApiErrorCallout error={resume.error} title="Resume refused" /> : null}
        {runs.isPending ? (
          <Skeleton height="120px" />
        ) : runs.isError ? (
          <ApiErrorCallout error={runs.error} title="Could not load the runs" />
        ) : runs.data.length === 0 ? (
          <Text size="2" color="gray" data-testid="no-runs">
            No runs yet.
          </Text>
        ) : (
          <Table.Root size="2" data-testid="runs-table">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell>Run</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Status</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Mode</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Trigger</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Started</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell justify="end">Duration</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell justify="end">Buckets</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell justify="end">Rows written</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell />
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {runs.data.map((run) => (
                <Table.Row key={run.id} data-testid={`run-row-${run.id}`} align="center">
                  <Table.RowHeaderCell>
                    <RadixLink asChild>
                      <Link href={`/runs/${run.id}`}>
                        <code>{run.id}</code>
                      </Link>
                    </RadixLink>
                  </Table.RowHeaderCell>
                  <Table.Cell>
                    <RunStatusBadge status={run.status} />
                  </Table.Cell>
                  <Table.Cell>{run.mode}</Table.Cell>
                  <Table.Cell>{run.trigger}</Table.Cell>
                  <Table.Cell>
                    <Text size="1">{formatUtc(run.startedAt ?? run.createdAt)}</Text>
                  </Table.Cell>
                  <Table.Cell justify="end">{formatDuration(run.durationMs)}</Table.Cell>
                  <Table.Cell justify="end">
                    {run.bucketsDone} / {run.bucketsTotal}
                  </Table.Cell>
                  <Table.Cell justify="end" data-testid="run-rows">
                    {formatCount(rowsWrittenOf(run))}
                  </Table.Cell>
                  <Table.Cell justify="end">
                    {RESUMABLE.has(run.status) ? (
                      <OperatorButton
                        size="1"
                        variant="soft"
                        onClick={() => resume.mutate({ id: run.id })}
                        loading={resume.isPending && resume.variables.id === run.id}
                        disabled={resume.isPending}
                      >
                        Resume
                      </OperatorButton>
                    ) : null}
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table.Root>
        )}
      </Flex>
    </Card>
  );
}
