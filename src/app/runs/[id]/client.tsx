"use client";
// The run detail page: what the run is, what it did per case and per phase, each bucket on a
// timeline, every attempt (retries and errors), its history, and the operator's cancel, resume and
// roll back.
import {
  Badge,
  Box,
  Callout,
  Card,
  Code,
  DataList,
  Flex,
  Grid,
  Heading,
  Link as RadixLink,
  ScrollArea,
  Skeleton,
  Table,
  Text,
} from "@radix-ui/themes";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { ApiErrorCallout } from "@/components/api-error-callout";
import { ChartBucketTimeline, type TimelineAttempt } from "@/components/chart-bucket-timeline";
import { ChartCaseCounts } from "@/components/chart-case-counts";
import { ChartPhaseTimings } from "@/components/chart-phase-timings";
import { OperatorButton } from "@/components/operator-button";
import { formatCount, formatDuration, formatUtc } from "@/components/run-format";
import { RunStatusBadge } from "@/components/run-status-badge";
import { useCancelRun, useResumeRun, useRollbackRun, useRun } from "@/hooks/use-runs";
import type { RunDetail } from "@/server/services/runs";
import { RunProgress } from "../client";
import { PlanSummary } from "../plan-summary";
import { RollbackDialog, RollbackOutcome } from "./rollback";

const RESUMABLE = new Set(["failed", "interrupted", "cancelled"]);
/** Ended runs; the engine still refuses one whose undo data is missing or expired. */
const ROLLBACKABLE = new Set(["succeeded", "failed", "interrupted", "cancelled"]);

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.Label minWidth="120px">{label}</DataList.Label>
      <DataList.Value>{children}</DataList.Value>
    </DataList.Item>
  );
}

function Section({ title, children, testId, aside }: { title: string; children: ReactNode; testId?: string; aside?: ReactNode }) {
  return (
    <Card size="3" data-testid={testId}>
      <Flex direction="column" gap="3">
        <Flex justify="between" align="center">
          <Heading as="h3" size="4">
            {title}
          </Heading>
          {aside}
        </Flex>
        {children}
      </Flex>
    </Card>
  );
}

export function RunDetailClient({ id }: { id: string }) {
  const run = useRun(id);
  if (run.isPending) return <Skeleton height="320px" />;
  if (run.isError) {
    return (
      <Flex direction="column" gap="3">
        <BackLink />
        <ApiErrorCallout error={run.error} title={`Run ${id}`} />
      </Flex>
    );
  }
  return <RunDetailView run={run.data} />;
}

function BackLink() {
  return (
    <RadixLink asChild size="2">
      <Link href="/runs">← Runs</Link>
    </RadixLink>
  );
}

function RunDetailView({ run }: { run: RunDetail }) {
  const cancel = useCancelRun();
  const resume = useResumeRun();
  const rollback = useRollbackRun();
  const [confirmingRollback, setConfirmingRollback] = useState(false);
  // the mutation's outcome belongs to the run it was asked for
  const rollbackHere = rollback.variables?.runId === run.id ? rollback : null;
  const going = run.status === "running" || run.status === "queued";
  const failedAttempts = run.attempts.filter((a) => !a.ok);
  return (
    <Flex direction="column" gap="4" data-testid="run-detail">
      <BackLink />
      <Flex justify="between" align="center" wrap="wrap" gap="3">
        <Flex align="center" gap="3">
          <Heading as="h2" size="6">
            Run <Code size="6">{run.id}</Code>
          </Heading>
          <RunStatusBadge status={run.status} size="3" />
        </Flex>
        <Flex align="center" gap="3">
          <RadixLink asChild size="2">
            <Link href={`/audit?run=${run.id}`} data-testid="audit-link">
              Audit events of this run →
            </Link>
          </RadixLink>
          {going ? (
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
          ) : null}
          {RESUMABLE.has(run.status) ? (
            <OperatorButton onClick={() => resume.mutate({ id: run.id })} loading={resume.isPending}>
              Resume
            </OperatorButton>
          ) : null}
          {ROLLBACKABLE.has(run.status) ? (
            <OperatorButton
              color="red"
              variant="soft"
              onClick={() => {
                rollback.reset();
                setConfirmingRollback(true);
              }}
              loading={rollback.isPending}
              data-testid="rollback-button"
            >
              Roll back
            </OperatorButton>
          ) : null}
        </Flex>
      </Flex>
      {cancel.error ? <ApiErrorCallout error={cancel.error} title="Cancel refused" /> : null}
      {resume.error ? <ApiErrorCallout error={resume.error} title="Resume refused" /> : null}
      {rollbackHere?.error ? <ApiErrorCallout error={rollbackHere.error} title="Roll back refused" testId="rollback-error" /> : null}
      {rollbackHere?.data ? <RollbackOutcome result={rollbackHere.data} /> : null}
      <RollbackDialog
        runId={run.id}
        open={confirmingRollback}
        pending={rollback.isPending}
        onOpenChange={setConfirmingRollback}
        onConfirm={() => rollback.mutate({ runId: run.id }, { onSettled: () => setConfirmingRollback(false) })}
      />
      {run.error ? (
        <Callout.Root color={run.status === "succeeded" ? "gray" : "red"} data-testid="run-error">
          <Callout.Text>
            <strong>{run.status === "succeeded" ? "Earlier error" : "Error"}: </strong>
            {run.error}
            {RESUMABLE.has(run.status) ? " — the committed buckets are kept; Resume continues from the first uncommitted one." : ""}
          </Callout.Text>
        </Callout.Root>
      ) : null}
      {going ? (
        <Card size="3" data-testid="active-run">
          <RunProgress run={run} />
        </Card>
      ) : null}

      <Grid columns={{ initial: "1", md: "2" }} gap="4" align="start">
        <Flex direction="column" gap="4">
          <Section title="Run">
            <DataList.Root size="2">
              <Field label="Status">
                <Flex gap="2" align="center">
                  <RunStatusBadge status={run.status} />
                  {run.resumeCount > 0 ? <Badge color="gray">resumed {run.resumeCount}×</Badge> : null}
                </Flex>
              </Field>
              <Field label="Mode">{run.mode}</Field>
              <Field label="Trigger">{run.trigger}</Field>
              <Field label="Input">
                <Code variant="ghost" wrap="wrap">
                  {run.input ?? "—"}
                </Code>
              </Field>
              <Field label="Config version">
                {run.configVersion ? (
                  <Text>
                    v{run.configVersion.id} · {run.configVersion.author}
                    {run.configVersion.comment ? ` · ${run.configVersion.comment}` : ""} ·{" "}
                    <Code variant="ghost">{run.configVersion.hash.slice(0, 12)}</Code>
                  </Text>
                ) : (
                  <Text color="gray">the config file (no saved version was active)</Text>
                )}
              </Field>
              <Field label="Started">{formatUtc(run.startedAt ?? run.createdAt)}</Field>
              <Field label="Finished">{formatUtc(run.finishedAt)}</Field>
              <Field label="Duration">{formatDuration(run.durationMs)}</Field>
              <Field label="Buckets">
                {run.bucketsDone} / {run.bucketsTotal} committed
              </Field>
              <Field label="Rows written">
                <span data-testid="rows-written">
                  {going
                    ? `${formatCount(run.rowsWritten)} so far`
                    : `${formatCount(run.counts?.rowsInserted ?? 0)} inserted · ${formatCount(run.counts?.rowsUpdated ?? 0)} rewritten`}
                </span>
              </Field>
              <Field label="Executed by">
                <Code variant="ghost">{run.owner ?? "—"}</Code>
              </Field>
            </DataList.Root>
          </Section>
          <Section title="History" testId="run-history">
            <Flex direction="column" gap="2">
              {run.events.map((e) => (
                <Flex key={e.id} gap="2" align="baseline">
                  <Text size="1" color="gray" style={{ whiteSpace: "nowrap" }}>
                    {formatUtc(e.ts)}
                  </Text>
                  <Badge color={e.level === "error" ? "red" : e.level === "warn" ? "amber" : "gray"}>{e.type}</Badge>
                  <Text size="1">{e.message}</Text>
                </Flex>
              ))}
            </Flex>
          </Section>
        </Flex>
        <Flex direction="column" gap="4">
          <Section title="Records per case" testId="run-counts">
            {run.counts ? (
              <>
                <ChartCaseCounts counts={run.counts} />
                <CountsList counts={run.counts} />
              </>
            ) : (
              <Text size="2" color="gray">
                The run has not classified its batch yet.
              </Text>
            )}
          </Section>
          <Section title="Phase timings">
            {run.timings && Object.keys(run.timings).length > 0 ? (
              <>
                <ChartPhaseTimings timings={run.timings} />
                {run.timings.total !== undefined ? (
                  <Text size="1" color="gray">
                    total {formatDuration(run.timings.total)}
                    {run.resumeCount > 0 ? `, over ${run.resumeCount + 1} executions` : ""}
                  </Text>
                ) : null}
              </>
            ) : (
              <Text size="2" color="gray">
                Timings are recorded when the run ends.
              </Text>
            )}
          </Section>
        </Flex>
      </Grid>

      <Section
        title="Bucket timeline"
        testId="bucket-timeline"
        aside={
          <Flex gap="3">
            <Legend color="var(--grass-9)" label="succeeded" />
            <Legend color="var(--amber-9)" label="retrying" />
            <Legend color="var(--red-9)" label="failed" />
          </Flex>
        }
      >
        {run.buckets.length || run.attempts.length ? (
          <ChartBucketTimeline attempts={timelineOf(run)} runStartedAt={run.startedAt} />
        ) : (
          <Text size="2" color="gray">
            No bucket has been attempted yet.
          </Text>
        )}
      </Section>

      <Grid columns={{ initial: "1", md: "2" }} gap="4" align="start">
        <Section title={`Buckets (${run.buckets.length} of ${run.bucketsTotal} attempted)`} testId="buckets">
          <ScrollArea type="auto" scrollbars="vertical" style={{ maxHeight: 360 }}>
            <Table.Root size="1">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Bucket</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Status</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Attempts</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Rows</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Duration</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Last error</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {run.buckets.map((b) => (
                  <Table.Row key={b.bucket}>
                    <Table.RowHeaderCell>#{b.bucket}</Table.RowHeaderCell>
                    <Table.Cell>
                      <RunStatusBadge status={b.status} />
                    </Table.Cell>
                    <Table.Cell justify="end">
                      {b.attempts}
                      {b.failures > 0 ? (
                        <Text size="1" color="red">
                          {" "}
                          ({b.failures} failed)
                        </Text>
                      ) : null}
                    </Table.Cell>
                    <Table.Cell justify="end">{formatCount(b.rows)}</Table.Cell>
                    <Table.Cell justify="end">{formatDuration(b.durationMs)}</Table.Cell>
                    <Table.Cell style={{ maxWidth: 220 }}>
                      {b.lastError ? (
                        <Text as="div" size="1" color={b.status === "succeeded" ? "gray" : "red"} truncate title={b.lastError}>
                          {b.lastError}
                        </Text>
                      ) : null}
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          </ScrollArea>
        </Section>
        <Flex direction="column" gap="4">
          <Section title={`Failed attempts (${failedAttempts.length})`} testId="failed-attempts">
            {failedAttempts.length === 0 ? (
              <Text size="2" color="gray">
                Every bucket attempt succeeded ({run.attempts.length} attempts).
              </Text>
            ) : (
              <Table.Root size="1">
                <Table.Header>
                  <Table.Row>
                    <Table.ColumnHeaderCell>Time</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Bucket</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Attempt</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Error</Table.ColumnHeaderCell>
                  </Table.Row>
                </Table.Header>
                <Table.Body>
                  {failedAttempts.map((a) => (
                    <Table.Row key={a.id}>
                      <Table.Cell>
                        <Text size="1">{formatUtc(a.ts)}</Text>
                      </Table.Cell>
                      <Table.Cell>#{a.bucket}</Table.Cell>
                      <Table.Cell>
                        {a.attempt} {a.level === "warn" ? <Badge color="amber">retried</Badge> : <Badge color="red">final</Badge>}
                      </Table.Cell>
                      <Table.Cell>
                        <Text size="1">{a.error}</Text>
                      </Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table.Root>
            )}
          </Section>
        </Flex>
      </Grid>

      {run.plan ? (
        <Section title="Plan">
          <PlanSummary plan={run.plan} />
        </Section>
      ) : null}
    </Flex>
  );
}

/** Every attempt from the audit trail; a run recorded without one falls back to its bucket rows. */
function timelineOf(run: RunDetail): TimelineAttempt[] {
  if (run.attempts.length > 0) {
    return run.attempts.map((a) => ({
      bucket: a.bucket,
      status: a.ok ? "succeeded" : a.level === "warn" ? "retrying" : "failed",
      rows: a.rows,
      startedAt: new Date(a.ts.getTime() - (a.durationMs ?? 0)),
      finishedAt: a.ts,
      error: a.error,
    }));
  }
  return run.buckets.flatMap((b) =>
    b.startedAt && b.finishedAt
      ? [
          {
            bucket: b.bucket,
            status: b.status === "succeeded" ? "succeeded" : b.status === "retrying" ? "retrying" : "failed",
            rows: b.rows,
            startedAt: b.startedAt,
            finishedAt: b.finishedAt,
            error: b.error,
          } satisfies TimelineAttempt,
        ]
      : [],
  );
}

function Legend({ color, label }: { color: string; label: string }) {
  return (
    <Flex align="center" gap="1">
      <Box width="10px" height="10px" style={{ background: color, borderRadius: 2 }} />
      <Text size="1" color="gray">
        {label}
      </Text>
    </Flex>
  );
}

function CountsList({ counts }: { counts: NonNullable<RunDetail["counts"]> }) {
  const items: [string, number | undefined][] = [
    ["read", counts.read],
    ["new accounts", counts.newAccounts],
    ["new-account records", counts.newAccountRecords],
    ["forward", counts.forwardRecords],
    ["backfill", counts.backfillRecords],
    ["deletes", counts.deleteRecords],
    ["stale", counts.staleRecords],
    ["duplicates", counts.duplicates],
    ["quarantined", counts.quarantined],
    ["rows inserted", counts.rowsInserted],
    ["rows rewritten", counts.rowsUpdated],
  ];
  return (
    <Flex gap="3" wrap="wrap" data-testid="counts-list">
      {items.map(([label, n]) => (
        <Text key={label} size="1" color="gray">
          {label} <Text weight="bold" color="gray" highContrast>{formatCount(n ?? 0)}</Text>
        </Text>
      ))}
    </Flex>
  );
}
