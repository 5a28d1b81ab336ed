"use client";
// What a run will do (dry run) or did plan to do (run detail): records per case, the months the
// batch touches with their records per case, summary rows to insert or rewrite, and the buckets.
import { Box, Card, Flex, Grid, Heading, ScrollArea, Table, Text } from "@radix-ui/themes";
import { RECORD_CASES } from "@/components/case-legend";
import { ChartPlanMonths } from "@/components/chart-plan-months";
import { formatCount } from "@/components/run-format";
import type { Plan } from "@/pipeline/plan/classify";

function Figure({ label, value, color, testId }: { label: string; value: number; color?: string; testId?: string }) {
  return (
    <Card size="1" data-testid={testId}>
      <Flex direction="column" gap="1">
        <Flex align="center" gap="2">
          {color ? <Box width="10px" height="10px" style={{ background: color, borderRadius: 2 }} /> : null}
          <Text size="1" color="gray">
            {label}
          </Text>
        </Flex>
        <Text size="4" weight="bold">
          {formatCount(value)}
        </Text>
      </Flex>
    </Card>
  );
}

export function PlanSummary({ plan }: { plan: Plan }) {
  const sizes = plan.buckets.rows.map((b) => b.records);
  const minBucket = sizes.length ? Math.min(...sizes) : 0;
  const maxBucket = sizes.length ? Math.max(...sizes) : 0;
  return (
    <Flex direction="column" gap="4" data-testid="plan-summary">
      <Text size="2" color="gray">
        {plan.mode} run over <Text weight="medium">{plan.input}</Text> — {formatCount(plan.counts.read)} records read,{" "}
        {formatCount(plan.accounts.total)} accounts ({formatCount(plan.accounts.fast)} on the fast path,{" "}
        {formatCount(plan.accounts.full)} rebuilt), {formatCount(plan.counts.newAccounts)} of them new.
      </Text>
      <Box>
        <Heading as="h4" size="2" mb="2">
          Records per case
        </Heading>
        <Grid columns={{ initial: "2", sm: "4", md: "8" }} gap="2" data-testid="plan-cases">
          {RECORD_CASES.map((c) => (
            <Figure key={c.key} label={c.label} value={plan.counts[c.key as keyof Plan["counts"]] ?? 0} color={c.color} testId={`plan-case-${c.key}`} />
          ))}
        </Grid>
      </Box>
      <Grid columns={{ initial: "2", sm: "4" }} gap="2">
        <Figure label="Summary rows to insert" value={plan.rowsToWrite.insert} testId="plan-rows-insert" />
        <Figure label="Summary rows to rewrite" value={plan.rowsToWrite.rewrite} testId="plan-rows-rewrite" />
        <Card size="1" data-testid="plan-buckets">
          <Flex direction="column" gap="1">
            <Text size="1" color="gray">
              Buckets
            </Text>
            <Text size="4" weight="bold">
              {formatCount(plan.buckets.rows.length)}{" "}
              <Text size="1" weight="regular" color="gray">
                with records, of {formatCount(plan.buckets.count)} hash partitions
              </Text>
            </Text>
          </Flex>
        </Card>
        <Card size="1">
          <Flex direction="column" gap="1">
            <Text size="1" color="gray">
              Records per bucket
            </Text>
            <Text size="4" weight="bold">
              {formatCount(minBucket)}–{formatCount(maxBucket)}
            </Text>
          </Flex>
        </Card>
      </Grid>
      <Box>
        <Heading as="h4" size="2" mb="2">
          Months affected ({plan.months.length})
        </Heading>
        <Grid columns={{ initial: "1", md: "2" }} gap="4" align="start">
          <ChartPlanMonths months={plan.months} />
          <ScrollArea type="auto" scrollbars="vertical" style={{ maxHeight: 260 }}>
            <Table.Root size="1" data-testid="plan-months" style={{ whiteSpace: "nowrap", paddingRight: 12 }}>
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Month</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Records</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">New acct.</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Forward</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Backfill</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Delete</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Stale</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {plan.months.map((m) => (
                  <Table.Row key={m.month}>
                    <Table.RowHeaderCell>{m.month}</Table.RowHeaderCell>
                    <Table.Cell justify="end">{formatCount(m.records)}</Table.Cell>
                    <Table.Cell justify="end">{formatCount(m.newAccount)}</Table.Cell>
                    <Table.Cell justify="end">{formatCount(m.forward)}</Table.Cell>
                    <Table.Cell justify="end">{formatCount(m.backfill)}</Table.Cell>
                    <Table.Cell justify="end">{formatCount(m.delete)}</Table.Cell>
                    <Table.Cell justify="end">{formatCount(m.stale)}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          </ScrollArea>
        </Grid>
      </Box>
    </Flex>
  );
}
