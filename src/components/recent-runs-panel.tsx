"use client";
// The Overview's runs section: the last runs with their status, records per case of each run, and
// where recent runs spent their time.
import { Card, Flex, Grid, Heading, Link as RadixLink, Skeleton, Table, Text } from "@radix-ui/themes";
import Link from "next/link";
import { useRunsList } from "@/hooks/use-runs";
import { RECENT_RUNS_INPUT } from "@/hooks/runs-query-inputs";
import { ApiErrorCallout } from "./api-error-callout";
import { ChartCaseDistributionByRun } from "./chart-case-distribution-by-run";
import { ChartPhaseTimingsByRun } from "./chart-phase-timings-by-run";
import { formatCount, formatDuration, formatUtc, rowsWrittenOf } from "./run-format";
import { RunStatusBadge } from "./run-status-badge";

export function RecentRunsPanel() {
  const runs = useRunsList(RECENT_RUNS_INPUT);
  if (runs.isPending) return <Skeleton height="200px" />;
  if (runs.isError) return <ApiErrorCallout error={runs.error} title="Could not load the runs" />;
  const list = runs.data;
  return (
    <Flex direction="column" gap="4" data-testid="recent-runs">
      <Card size="3">
        <Flex direction="column" gap="3">
          <Flex justify="between" align="center">
            <Heading as="h3" size="4">
              Last runs
            </Heading>
            <RadixLink asChild size="2">
              <Link href="/runs">All runs →</Link>
            </RadixLink>
          </Flex>
          {list.length === 0 ? (
            <Text size="2" color="gray">
              No runs yet. Launch one on the{" "}
              <RadixLink asChild>
                <Link href="/runs">Runs</Link>
              </RadixLink>{" "}
              page.
            </Text>
          ) : (
            <Table.Root size="1">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Run</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Status</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Mode</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Started</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Duration</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Records read</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Rows written</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {list.slice(0, 6).map((r) => (
                  <Table.Row key={r.id}>
                    <Table.RowHeaderCell>
                      <RadixLink asChild>
                        <Link href={`/runs/${r.id}`}>
                          <code>{r.id}</code>
                        </Link>
                      </RadixLink>
                    </Table.RowHeaderCell>
                    <Table.Cell>
                      <RunStatusBadge status={r.status} />
                    </Table.Cell>
                    <Table.Cell>{r.mode}</Table.Cell>
                    <Table.Cell>{formatUtc(r.startedAt ?? r.createdAt)}</Table.Cell>
                    <Table.Cell justify="end">{formatDuration(r.durationMs)}</Table.Cell>
                    <Table.Cell justify="end">{formatCount(r.counts?.read ?? null)}</Table.Cell>
                    <Table.Cell justify="end">{formatCount(rowsWrittenOf(r))}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          )}
        </Flex>
      </Card>
      {list.some((r) => r.counts) ? (
        <Grid columns={{ initial: "1", md: "2" }} gap="4">
          <Card size="3">
            <Flex direction="column" gap="2">
              <Heading as="h3" size="4">
                Records per case, by run
              </Heading>
              <ChartCaseDistributionByRun runs={list} />
            </Flex>
          </Card>
          <Card size="3">
            <Flex direction="column" gap="2">
              <Heading as="h3" size="4">
                Phase timings, by run
              </Heading>
              <ChartPhaseTimingsByRun runs={list} />
            </Flex>
          </Card>
        </Grid>
      ) : null}
    </Flex>
  );
}
