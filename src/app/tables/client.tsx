"use client";
// The tables page's body: table stats, rows per partition, NULL density, recent runs.
import { Badge, Callout, Card, Code, Flex, Heading, Link as RadixLink, Skeleton, Table, Text } from "@radix-ui/themes";
import Link from "next/link";
import type { ReactNode } from "react";
import { ChartNullDensity } from "@/components/chart-null-density";
import { ChartPartitionRows } from "@/components/chart-partition-rows";
import { formatBytes, formatCount, formatMs, formatTimestamp } from "@/components/format-units";
import { useTablesStats } from "@/hooks/use-tables-stats";
import type { RunStats, TableStats } from "@/pipeline/stats/stats";

function Section(props: { title: string; aside?: ReactNode; testId: string; children: ReactNode }) {
  return (
    <Card size="2" data-testid={props.testId}>
      <Flex direction="column" gap="3">
        <Flex justify="between" align="baseline" gap="3" wrap="wrap">
          <Heading as="h3" size="3">
            {props.title}
          </Heading>
          {props.aside}
        </Flex>
        {props.children}
      </Flex>
    </Card>
  );
}

function TableStatsTable({ tables, roles }: { tables: TableStats[]; roles: Record<string, string> }) {
  return (
    <Table.Root size="1" variant="ghost" data-testid="table-stats">
      <Table.Header>
        <Table.Row>
          <Table.ColumnHeaderCell>Table</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell justify="end">Rows</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell justify="end">Accounts</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell>Months</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell justify="end">On disk</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell justify="end">Bytes / row</Table.ColumnHeaderCell>
        </Table.Row>
      </Table.Header>
      <Table.Body>
        {tables.map((t) => (
          <Table.Row key={t.name} data-testid={`table-row-${t.name}`}>
            <Table.RowHeaderCell>
              <Flex direction="column">
                <Code variant="ghost">{t.name}</Code>
                <Text size="1" color="gray">
                  {roles[t.name] ?? ""}
                  {t.exists ? "" : " · not created yet"}
                </Text>
              </Flex>
            </Table.RowHeaderCell>
            <Table.Cell justify="end" data-testid="rows">
              {t.exists ? formatCount(t.rows) : "—"}
            </Table.Cell>
            <Table.Cell justify="end">{formatCount(t.accounts)}</Table.Cell>
            <Table.Cell>{t.firstMonth && t.lastMonth ? `${t.firstMonth} … ${t.lastMonth}` : "—"}</Table.Cell>
            <Table.Cell justify="end">{t.exists ? formatBytes(t.bytes) : "—"}</Table.Cell>
            <Table.Cell justify="end">{t.bytesPerRow === null ? "—" : formatCount(Math.round(t.bytesPerRow))}</Table.Cell>
          </Table.Row>
        ))}
      </Table.Body>
    </Table.Root>
  );
}

const STATUS_COLOURS: Record<string, "green" | "red" | "amber" | "blue" | "gray"> = {
  succeeded: "green",
  failed: "red",
  interrupted: "amber",
  rolled_back: "gray",
  cancelled: "gray",
  running: "blue",
  queued: "gray",
};

function RunLink({ runId }: { runId: string }) {
  return (
    <RadixLink asChild>
      <Link href={`/runs/${runId}`} prefetch={false}>
        <Code variant="ghost">{runId}</Code>
      </Link>
    </RadixLink>
  );
}

const CASE_COLUMNS: { key: string; label: string; title: string }[] = [
  { key: "read", label: "Read", title: "source records read in the batch" },
  { key: "newAccountRecords", label: "New", title: "case I: records of accounts without a summary row" },
  { key: "forwardRecords", label: "Forward", title: "case II: months after the account's latest" },
  { key: "backfillRecords", label: "Backfill", title: "case III: late months and corrections" },
  { key: "deleteRecords", label: "Delete", title: "tombstones applied to a live month" },
  { key: "ignoredDeletes", label: "Ignored", title: "tombstones for months that never had a live record" },
  { key: "staleRecords", label: "Stale", title: "older than what was already ingested" },
  { key: "quarantined", label: "Quarantined", title: "rejected by validation" },
];

const PHASE_ORDER = ["discover", "read", "stage", "classify", "execute", "finalize"];

function phasesOf(runs: RunStats[]): string[] {
  const seen = new Set(runs.flatMap((r) => Object.keys(r.timings)).filter((k) => k !== "total"));
  return [...PHASE_ORDER.filter((p) => seen.has(p)), ...[...seen].filter((p) => !PHASE_ORDER.includes(p)).sort()];
}

function RunHead({ run, mode = true }: { run: RunStats; mode?: boolean }) {
  return (
    <>
      <Table.RowHeaderCell>
        <RunLink runId={run.runId} />
      </Table.RowHeaderCell>
      <Table.Cell>
        <Badge color={STATUS_COLOURS[run.status] ?? "gray"} variant="soft">
          {run.status}
        </Badge>
      </Table.Cell>
      {mode && <Table.Cell>{run.mode}</Table.Cell>}
      <Table.Cell>
        <Text size="1" wrap="nowrap">
          {formatTimestamp(run.createdAt)}
        </Text>
      </Table.Cell>
    </>
  );
}

function RunsTables({ runs }: { runs: RunStats[] }) {
  const phases = phasesOf(runs);
  const head = (mode: boolean) => (
    <>
      <Table.ColumnHeaderCell>Run</Table.ColumnHeaderCell>
      <Table.ColumnHeaderCell>Status</Table.ColumnHeaderCell>
      {mode && <Table.ColumnHeaderCell>Mode</Table.ColumnHeaderCell>}
      <Table.ColumnHeaderCell>Started</Table.ColumnHeaderCell>
    </>
  );
  return (
    <Flex direction="column" gap="4">
      <Flex direction="column" gap="2">
        <Text size="2" weight="medium">
          Records per case
        </Text>
        <Table.Root size="1" variant="ghost" data-testid="run-case-counts">
          <Table.Header>
            <Table.Row>
              {head(false)}
              {CASE_COLUMNS.map((c) => (
                <Table.ColumnHeaderCell key={c.key} justify="end" title={c.title}>
                  {c.label}
                </Table.ColumnHeaderCell>
              ))}
              <Table.ColumnHeaderCell justify="end" title="summary rows inserted / updated">
                Rows ins. / upd.
              </Table.ColumnHeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {runs.map((r) => (
              <Table.Row key={r.runId}>
                <RunHead run={r} mode={false} />
                {CASE_COLUMNS.map((c) => (
                  <Table.Cell key={c.key} justify="end">
                    {formatCount(r.counts[c.key])}
                  </Table.Cell>
                ))}
                <Table.Cell justify="end">
                  <Text wrap="nowrap">
                    {formatCount(r.counts.rowsInserted)} / {formatCount(r.counts.rowsUpdated)}
                  </Text>
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      </Flex>
      <Flex direction="column" gap="2">
        <Text size="2" weight="medium">
          Phase timings
        </Text>
        <Table.Root size="1" variant="ghost" data-testid="run-phase-timings">
          <Table.Header>
            <Table.Row>
              {head(true)}
              {phases.map((p) => (
                <Table.ColumnHeaderCell key={p} justify="end">
                  {p}
                </Table.ColumnHeaderCell>
              ))}
              <Table.ColumnHeaderCell justify="end">Total</Table.ColumnHeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {runs.map((r) => (
              <Table.Row key={r.runId}>
                <RunHead run={r} />
                {phases.map((p) => (
                  <Table.Cell key={p} justify="end">
                    {formatMs(r.timings[p])}
                  </Table.Cell>
                ))}
                <Table.Cell justify="end">
                  {/* the engine stores the phases; the total of a finished run is their sum */}
                  <Text weight="medium">{formatMs(r.timings.total ?? phases.reduce((sum, p) => sum + (r.timings[p] ?? 0), 0))}</Text>
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      </Flex>
    </Flex>
  );
}

export function TablesView() {
  const stats = useTablesStats();

  if (stats.isPending) {
    return (
      <Flex direction="column" gap="4">
        <Skeleton height="160px" />
        <Skeleton height="280px" />
      </Flex>
    );
  }
  if (stats.isError) {
    return (
      <Callout.Root color="red" data-testid="tables-error">
        <Callout.Text>Could not read the engine&apos;s statistics: {stats.error.message}</Callout.Text>
      </Callout.Root>
    );
  }

  const s = stats.data;
  const roles: Record<string, string> = {
    [s.summaryTable]: "summary: one row per account and month",
    [s.tables[1]?.name ?? "latest_summary"]: "latest: one row per account",
  };
  const quarantine = s.tables[2];
  if (quarantine) roles[quarantine.name] = "quarantine: rejected records";
  const source = s.tables[3];
  if (source) roles[source.name] = "source table";

  return (
    <Flex direction="column" gap="4">
      {!s.hasSummary && (
        <Callout.Root color="amber" data-testid="tables-empty">
          <Callout.Text>
            <Text weight="bold">No summary yet — run the pipeline first.</Text> The summary table <Code>{s.summaryTable}</Code> has no
            rows, so there are no partitions or arrays to measure. From the repository:
          </Callout.Text>
          <Callout.Text>
            <Code size="2">npm run pipeline -- --config {s.configPath}</Code>
          </Callout.Text>
          <Callout.Text size="1">
            No source data either? The <Code>generate</Code> command of the same CLI writes a synthetic one (see the README).
          </Callout.Text>
        </Callout.Root>
      )}

      <Section
        title="Tables"
        testId="tables-card"
        aside={
          <Text size="1" color="gray">
            database {formatBytes(s.database.bytes)} in {formatBytes(s.database.blockSize)} blocks · WAL {s.database.walBytes}
          </Text>
        }
      >
        <TableStatsTable tables={s.tables} roles={roles} />
        <Text size="1" color="gray">
          Bytes count checkpointed blocks only; data still in the write-ahead log shows up after the next checkpoint.
        </Text>
      </Section>

      {s.partitions && (
        <Section
          title="Rows per partition"
          testId="partitions-card"
          aside={
            <Flex gap="3" align="baseline">
              <Text size="2">
                {s.partitions.partitions} partitions · mean {formatCount(Math.round(s.partitions.mean))} · min {formatCount(s.partitions.min)} · max{" "}
                {formatCount(s.partitions.max)}
              </Text>
              <Badge size="2" color={s.partitions.skew > 1.5 ? "amber" : "green"} data-testid="partition-skew" title="max ÷ mean; 1 is perfectly even">
                skew {s.partitions.skew.toFixed(2)}
              </Badge>
            </Flex>
          }
        >
          <ChartPartitionRows partitions={s.partitions} />
        </Section>
      )}

      {s.nullDensity.length > 0 && (
        <Section
          title="NULL density per array position"
          testId="null-density-card"
          aside={
            <Text size="1" color="gray">
              sample of {formatCount(Math.max(...s.nullDensity.map((d) => d.sampleRows)))} summary rows
            </Text>
          }
        >
          <ChartNullDensity series={s.nullDensity} />
        </Section>
      )}

      <Section title="Recent runs" testId="runs-card" aside={<Text size="1" color="gray">newest first, from the engine database</Text>}>
        {s.runs.length === 0 ? (
          <Text size="2" color="gray">
            No run has written this database yet.
          </Text>
        ) : (
          <RunsTables runs={s.runs} />
        )}
      </Section>
    </Flex>
  );
}
