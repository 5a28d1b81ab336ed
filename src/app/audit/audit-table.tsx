"use client";
// One page of audit events: time (UTC), level, type, run (linking to the run), actor and message;
// a row with data expands to show it as formatted JSON.
import { Badge, Box, Code, Flex, IconButton, Link as RadixLink, Table, Text, VisuallyHidden } from "@radix-ui/themes";
import Link from "next/link";
import { Fragment, useState } from "react";
import type { AuditEventRow } from "@/server/services/audit";

const LEVEL_BADGE: Record<string, "blue" | "amber" | "red" | "gray"> = { info: "blue", warn: "amber", error: "red" };

/** `2026-03-01 10:00:30.123`, UTC, so the server render and the browser agree. */
export function formatAuditTime(ts: Date): string {
  return ts.toISOString().replace("T", " ").replace("Z", "");
}

/** Data as indented JSON when it parses, else as stored. */
function formatData(data: string): string {
  try {
    return JSON.stringify(JSON.parse(data), null, 2);
  } catch {
    return data;
  }
}

function Chevron({ open }: { open: boolean }) {
  return (
    <svg width="12" height="12" viewBox="0 0 15 15" aria-hidden style={{ transform: open ? "rotate(90deg)" : undefined, transition: "transform 120ms" }}>
      <path d="M6 3.5 10 7.5 6 11.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function AuditTable({ events }: { events: AuditEventRow[] }) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <Table.Root size="1" variant="surface" data-testid="audit-table">
      <Table.Header>
        <Table.Row>
          <Table.ColumnHeaderCell width="28px">
            <VisuallyHidden>Data</VisuallyHidden>
          </Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell width="190px">Time (UTC)</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell width="72px">Level</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell width="130px">Type</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell width="90px">Run</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell width="110px">Actor</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell>Message</Table.ColumnHeaderCell>
        </Table.Row>
      </Table.Header>
      <Table.Body>
        {events.map((e) => {
          const expanded = open.has(e.id);
          return (
            <Fragment key={e.id}>
              <Table.Row data-testid="audit-row" data-type={e.type} data-level={e.level} align="center">
                <Table.Cell>
                  {e.data ? (
                    <IconButton
                      size="1"
                      variant="ghost"
                      color="gray"
                      aria-expanded={expanded}
                      aria-label={expanded ? `Hide data of event ${e.id}` : `Show data of event ${e.id}`}
                      onClick={() => toggle(e.id)}
                      data-testid="audit-row-toggle"
                    >
                      <Chevron open={expanded} />
                    </IconButton>
                  ) : null}
                </Table.Cell>
                <Table.Cell>
                  <Text size="1" style={{ fontVariantNumeric: "tabular-nums", whiteSpace: "nowrap" }}>
                    {formatAuditTime(e.ts)}
                  </Text>
                </Table.Cell>
                <Table.Cell>
                  <Badge color={LEVEL_BADGE[e.level] ?? "gray"} variant="soft" data-testid="audit-level">
                    {e.level}
                  </Badge>
                </Table.Cell>
                <Table.Cell>
                  <Code variant="ghost" size="1" data-testid="audit-type">
                    {e.type}
                  </Code>
                </Table.Cell>
                <Table.Cell>
                  {e.runId ? (
                    <RadixLink asChild size="1">
                      <Link href={`/runs/${encodeURIComponent(e.runId)}`} data-testid="audit-run-link">
                        <Code variant="ghost">{e.runId}</Code>
                      </Link>
                    </RadixLink>
                  ) : (
                    <Text size="1" color="gray">
                      —
                    </Text>
                  )}
                </Table.Cell>
                <Table.Cell>
                  <Text size="1" color="gray">
                    {e.actor ?? "—"}
                  </Text>
                </Table.Cell>
                <Table.Cell>
                  <Text size="2" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }} data-testid="audit-message">
                    {e.message}
                  </Text>
                </Table.Cell>
              </Table.Row>
              {expanded && e.data ? (
                <Table.Row data-testid="audit-row-data">
                  <Table.Cell />
                  <Table.Cell colSpan={6}>
                    <Box asChild p="2" style={{ background: "var(--gray-a2)", borderRadius: "var(--radius-2)", margin: 0, overflowX: "auto" }}>
                      <pre>
                        <Code variant="ghost" size="1">
                          {formatData(e.data)}
                        </Code>
                      </pre>
                    </Box>
                  </Table.Cell>
                </Table.Row>
              ) : null}
            </Fragment>
          );
        })}
      </Table.Body>
    </Table.Root>
  );
}

export function AuditPager(props: { page: number; pageCount: number; total: number; pageSize: number; onPage: (page: number) => void }) {
  const first = props.total === 0 ? 0 : (props.page - 1) * props.pageSize + 1;
  const last = Math.min(props.page * props.pageSize, props.total);
  return (
    <Flex justify="between" align="center" gap="3" data-testid="audit-pager">
      <Text size="2" color="gray" data-testid="audit-count">
        {props.total === 0 ? "No events" : `${first}–${last} of ${props.total} event${props.total === 1 ? "" : "s"}`}
      </Text>
      <Flex gap="2" align="center">
        <Text size="1" color="gray">
          page {props.page} of {props.pageCount}
        </Text>
        <IconButton size="1" variant="soft" aria-label="Previous page" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
          ‹
        </IconButton>
        <IconButton
          size="1"
          variant="soft"
          aria-label="Next page"
          disabled={props.page >= props.pageCount}
          onClick={() => props.onPage(props.page + 1)}
          data-testid="audit-next"
        >
          ›
        </IconButton>
      </Flex>
    </Flex>
  );
}
