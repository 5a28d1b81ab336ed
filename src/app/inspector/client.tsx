"use client";
// The inspector's body: the search box, the latest row, the rolling-array strips and grids of the
// selected row, and the table of all the account's rows (a click selects a row).
import { Badge, Button, Callout, Card, Code, DataList, Flex, Heading, Skeleton, Table, Text, TextField } from "@radix-ui/themes";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState, useTransition, type FormEvent, type KeyboardEvent } from "react";
import { formatCount } from "@/components/format-units";
import { useAccountHistory } from "@/hooks/use-account-history";
import type { CellValue, InspectedRow, MonthProvenance } from "@/pipeline/inspect/account";
import { accountKey } from "@/server/api/schemas/inspector";
import type { InspectedAccount } from "@/server/services/inspector";
import { isNumericType, scaleOf } from "./cell-colours";
import { GridString } from "./grid-string";
import { HistoryStrip, StripLegend } from "./history-strip";
import { inspectorHref, parseInspectorSearchParams } from "./search-params";

export interface RefusedAccount {
  account: string;
  message: string;
}

function scalarText(v: CellValue): string {
  if (v === null) return "NULL";
  return typeof v === "number" ? formatCount(v) : String(v);
}

function SearchBox({ current }: { current: string | null }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const raw = new FormData(e.currentTarget).get("account");
    const parsed = accountKey.safeParse(typeof raw === "string" ? raw : "");
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? "not a valid account key");
      return;
    }
    setError(null);
    startTransition(() => router.push(inspectorHref(parsed.data)));
  };
  return (
    <form onSubmit={submit} role="search" aria-label="Inspect an account">
      <Flex gap="2" align="start" wrap="wrap">
        <Flex direction="column" gap="1" style={{ flex: "1 1 320px", maxWidth: 480 }}>
          <TextField.Root
            key={current ?? ""}
            name="account"
            size="3"
            defaultValue={current ?? ""}
            placeholder="Account key, e.g. 1003"
            aria-label="Account key"
            autoComplete="off"
            spellCheck={false}
            maxLength={400}
          />
          {error && (
            <Text size="1" color="red" role="alert">
              {error}
            </Text>
          )}
        </Flex>
        <Button type="submit" size="3" loading={pending}>
          Inspect
        </Button>
      </Flex>
    </form>
  );
}

function LatestSummary({ h }: { h: InspectedAccount }) {
  const latest = h.latest;
  const oldest = h.rows[h.rows.length - 1];
  const deleted = h.rows.filter((r) => !r.live).length;
  return (
    <Card size="2" data-testid="latest-summary">
      <Flex direction="column" gap="3">
        <Flex justify="between" align="baseline" wrap="wrap" gap="2">
          <Heading as="h3" size="3">
            Account <Code variant="ghost">{h.account}</Code>
          </Heading>
          <Text size="2" color="gray">
            {h.rows.length} summary row{h.rows.length === 1 ? "" : "s"}
            {oldest && h.rows[0] ? `, ${oldest.month} … ${h.rows[0].month}` : ""}
            {deleted > 0 ? ` · ${deleted} soft-deleted` : ""}
          </Text>
        </Flex>
        {latest ? (
          <DataList.Root size="2">
            <DataList.Item>
              <DataList.Label minWidth="120px">Latest month</DataList.Label>
              <DataList.Value>
                <Text weight="bold" data-testid="latest-month">
                  {latest.month}
                </Text>
              </DataList.Value>
            </DataList.Item>
            <DataList.Item>
              <DataList.Label minWidth="120px">base_ts</DataList.Label>
              <DataList.Value>
                <Code variant="ghost">{latest.baseTs ?? "NULL"}</Code>
              </DataList.Value>
            </DataList.Item>
            {Object.entries(latest.scalars).map(([k, v]) => (
              <DataList.Item key={k}>
                <DataList.Label minWidth="120px">{k}</DataList.Label>
                <DataList.Value>{scalarText(v)}</DataList.Value>
              </DataList.Item>
            ))}
            <DataList.Item>
              <DataList.Label minWidth="120px">Delete flag</DataList.Label>
              <DataList.Value>{scalarText(latest.deleteFlag)}</DataList.Value>
            </DataList.Item>
            {h.rolling.map((r) => (
              <DataList.Item key={r.name}>
                <DataList.Label minWidth="120px">{r.name} now</DataList.Label>
                <DataList.Value>{scalarText(latest.arrays[r.name]?.[0] ?? null)}</DataList.Value>
              </DataList.Item>
            ))}
          </DataList.Root>
        ) : (
          <Text size="2" color="gray" data-testid="no-live-month">
            No live month: every month of this account is soft-deleted, so latest_summary has no row for it.
          </Text>
        )}
      </Flex>
    </Card>
  );
}

function Strips(props: { h: InspectedAccount; row: InspectedRow; isLatest: boolean; onShowLatest: (() => void) | null }) {
  const { h, row } = props;
  const provenance = useMemo(() => new Map<number, MonthProvenance>(h.provenance.map((p) => [p.mi, p])), [h.provenance]);
  const scales = useMemo(
    () => new Map(h.rolling.map((r) => [r.name, scaleOf(r.dataType, [...h.rows, ...(h.latest ? [h.latest] : [])].map((x) => x.arrays[r.name] ?? []))])),
    [h],
  );
  return (
    <Card size="2" data-testid="strips">
      <Flex direction="column" gap="4">
        <Flex justify="between" align="baseline" wrap="wrap" gap="2">
          <Heading as="h3" size="3">
            Rolling columns of <span data-testid="strips-month">{row.month}</span>{" "}
            <Text size="2" color="gray" weight="regular">
              {props.isLatest ? "(latest row)" : row.live ? "(selected row)" : "(selected row, soft-deleted)"}
            </Text>
          </Heading>
          {props.onShowLatest && (
            <Button variant="soft" size="1" onClick={props.onShowLatest}>
              Show the latest row
            </Button>
          )}
        </Flex>
        {h.rolling.map((r) => {
          const scale = scales.get(r.name) ?? { kind: "categorical" as const, values: [] };
          const values = row.arrays[r.name];
          return (
            <Flex key={r.name} direction="column" gap="2">
              <Flex justify="between" align="baseline" wrap="wrap" gap="2">
                <Text size="2" weight="medium">
                  <Code variant="ghost">{r.column}</Code>{" "}
                  <Text color="gray" size="1">
                    {r.dataType}, {r.historyLength} months
                  </Text>
                </Text>
                <StripLegend scale={scale} numeric={isNumericType(r.dataType)} />
              </Flex>
              {values ? (
                <HistoryStrip column={r} values={values} rowMi={row.mi} scale={scale} provenance={provenance} />
              ) : (
                <Text size="2" color="gray">
                  The summary table has no column {r.column} (the config changed since it was built).
                </Text>
              )}
            </Flex>
          );
        })}
        {h.grids.map((g) => (
          <Flex key={g.name} direction="column" gap="2">
            <Text size="2" weight="medium">
              <Code variant="ghost">{g.name}</Code>{" "}
              <Text color="gray" size="1">
                grid of {g.rollingColumn}
              </Text>
            </Text>
            <GridString name={g.name} value={row.grids[g.name] ?? ""} placeholder={h.gridPlaceholders[g.name] ?? "?"} />
          </Flex>
        ))}
      </Flex>
    </Card>
  );
}

function RowsTable(props: { h: InspectedAccount; selected: string; onSelect: (month: string) => void }) {
  const { h } = props;
  const scalarNames = Object.keys(h.rows[0]?.scalars ?? {});
  const key = (e: KeyboardEvent, month: string) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      props.onSelect(month);
    }
  };
  return (
    <Card size="2" data-testid="rows-card">
      <Flex direction="column" gap="3">
        <Heading as="h3" size="3">
          All summary rows{" "}
          <Text size="1" color="gray" weight="regular">
            newest first; select a row to see its arrays
          </Text>
        </Heading>
        <Table.Root size="1" variant="ghost" data-testid="account-rows">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeaderCell>Month</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>base_ts</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>State</Table.ColumnHeaderCell>
              {scalarNames.map((n) => (
                <Table.ColumnHeaderCell key={n}>{n}</Table.ColumnHeaderCell>
              ))}
              <Table.ColumnHeaderCell>Delete flag</Table.ColumnHeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {h.rows.map((r) => {
              const selected = r.month === props.selected;
              return (
                <Table.Row
                  key={r.month}
                  tabIndex={0}
                  aria-selected={selected}
                  data-testid={`account-row-${r.month}`}
                  onClick={() => props.onSelect(r.month)}
                  onKeyDown={(e) => key(e, r.month)}
                  style={{ cursor: "pointer", background: selected ? "var(--accent-a3)" : undefined }}
                >
                  <Table.RowHeaderCell>
                    <Text weight={selected ? "bold" : "regular"}>{r.month}</Text>
                  </Table.RowHeaderCell>
                  <Table.Cell>
                    <Code variant="ghost">{r.baseTs ?? "NULL"}</Code>
                  </Table.Cell>
                  <Table.Cell>
                    <Badge color={r.live ? "green" : "red"} variant="soft">
                      {r.live ? "live" : "deleted"}
                    </Badge>
                  </Table.Cell>
                  {scalarNames.map((n) => (
                    <Table.Cell key={n}>{scalarText(r.scalars[n] ?? null)}</Table.Cell>
                  ))}
                  <Table.Cell>{scalarText(r.deleteFlag)}</Table.Cell>
                </Table.Row>
              );
            })}
          </Table.Body>
        </Table.Root>
      </Flex>
    </Card>
  );
}

function AccountDetail({ h, month }: { h: InspectedAccount; month: string | null }) {
  const selectedRow = month === null ? undefined : h.rows.find((r) => r.month === month);
  const row = selectedRow ?? h.latest ?? h.rows[0];
  const isLatest = h.latest !== null && row?.month === h.latest.month;
  // the selection lives in the URL without a server round trip (Next keeps useSearchParams in step)
  const select = (m: string | null) => window.history.replaceState(null, "", inspectorHref(h.account, m));
  return (
    <Flex direction="column" gap="4">
      <LatestSummary h={h} />
      {row && <Strips h={h} row={row} isLatest={isLatest} onShowLatest={selectedRow && h.latest ? () => select(null) : null} />}
      <RowsTable h={h} selected={row?.month ?? ""} onSelect={(m) => select(m)} />
    </Flex>
  );
}

export function InspectorView({ refused }: { refused: RefusedAccount | null }) {
  const params = parseInspectorSearchParams(useSearchParams());
  const refusal = refused && refused.account === params.account ? refused.message : null;
  const history = useAccountHistory(params.account, { enabled: refusal === null });

  let body;
  if (params.accountError) {
    body = <Problem text={params.accountError} />;
  } else if (params.account === null) {
    body = (
      <Text size="2" color="gray" data-testid="inspector-intro">
        Enter an account key to see its summary rows, the history arrays of each rolling column and where every month came from.
      </Text>
    );
  } else if (refusal) {
    body = <Problem text={refusal} />;
  } else if (history.isPending) {
    body = <Skeleton height="240px" />;
  } else if (history.isError) {
    body = <Problem text={history.error.message} />;
  } else if (!history.data.found) {
    body = (
      <Callout.Root color="gray" data-testid="account-not-found">
        <Callout.Text>
          <Text weight="bold">No such account.</Text> No summary row has the account key <Code>{history.data.account}</Code>.
          Keys match exactly (no partial search); an account only gets rows once one of its records was live.
        </Callout.Text>
      </Callout.Root>
    );
  } else {
    body = <AccountDetail h={history.data} month={params.month} />;
  }

  return (
    <Flex direction="column" gap="4">
      <SearchBox current={params.account} />
      {body}
    </Flex>
  );
}

function Problem({ text }: { text: string }) {
  return (
    <Callout.Root color="red" data-testid="inspector-error" role="alert">
      <Callout.Text>{text}</Callout.Text>
    </Callout.Root>
  );
}
